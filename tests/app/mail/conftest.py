"""Fixtures for the outbox worker: a committed database and a running SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.mail.support import LocalSmtp, configure, free_port


@pytest.fixture
def mail_db(live_database: str) -> str:
    """A migrated database the worker's own sessions use; the worker commits, so no rollback."""
    return live_database


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSmtp]:
    """A running SMTP server on loopback, and the settings that send to it."""
    server = LocalSmtp(smtp_port)
    server.start()
    configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
    try:
        yield server
    finally:
        server.stop()
