"""Fixtures for the outbox worker: a running SMTP server (the database is ``live_database``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.mail.support import LocalSmtp, configure, free_port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSmtp]:
    """A running SMTP server on loopback, and the settings that send to it."""
    with LocalSmtp(smtp_port) as server:
        configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
        yield server
