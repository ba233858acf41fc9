"""Fixtures for the outbox worker: a committed database and a running SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import get_settings
from app.db import get_engine
from tests.app.conftest import migrate, scratch_database
from tests.app.mail.support import LocalSmtp, configure, free_port


@pytest.fixture
def mail_db(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database the worker's own sessions use; the worker commits, so no rollback."""
    for url in scratch_database(tmp_path_factory, "mail"):
        migrate(url)
        configure(monkeypatch, database_url=url)
        get_engine.cache_clear()
        try:
            yield url
        finally:
            get_engine().dispose()
            get_engine.cache_clear()
            get_settings.cache_clear()


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
