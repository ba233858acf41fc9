"""Database fixtures: one migrated database per run, one rolled-back transaction per test.

SQLite by default; ``DELPHI_TEST_DATABASE_URL`` points the same suite at PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
STUDY_FILE = ROOT / "surveys" / "crime-prevention-strategy.yaml"


def spaced(text: str) -> str:
    """``text`` with ordinary spaces for the narrow and no-break ones that French puts
    before ``: ; ? !``, so a check of a French line holds while the catalog's messages
    move from one kind of space to the other."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _server_reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any driver error means "not here"
        return str(exc).splitlines()[0]
    return None


def scratch_database(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[str]:
    """A fresh empty database URL of the kind under test, dropped afterwards."""
    base = os.environ.get("DELPHI_TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp(name) / f"{name}.sqlite3"
        yield f"sqlite:///{path}"
        return
    url = make_url(base)
    problem = _server_reachable(base)
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {url.host}:{url.port} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL at {url.host}:{url.port} is not reachable: {problem}")
    database = f"delphi_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from scratch_database(tmp_path_factory, "suite")


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    from app.db import make_engine

    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(db_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Service code may commit (the unit of work does); with ``create_savepoint`` those
    commits only release savepoints inside the outer transaction.
    """
    connection = db_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def survey(db: Session):  # type: ignore[no-untyped-def]
    """The demo study from surveys/, imported."""
    from app.studies import service

    return service.import_file(db, STUDY_FILE, actor="test")


@pytest.fixture
def live_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database the code under test opens itself via the settings; commits stick."""
    from app.config import get_settings
    from app.db import get_engine

    for url in scratch_database(tmp_path_factory, "live"):
        migrate(url)
        monkeypatch.setenv("DELPHI_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        try:
            yield url
        finally:
            get_engine().dispose()
            get_engine.cache_clear()
            get_settings.cache_clear()


@pytest.fixture
def app(db: Session):  # type: ignore[no-untyped-def]
    """The application, its unit of work bound to the test's transaction."""
    from app.main import create_app
    from app.web.sessions import get_session, get_transactions

    application = create_app()

    def _session() -> Iterator[Session]:
        savepoint = db.begin_nested()
        try:
            yield db
            savepoint.commit()
        except BaseException:
            savepoint.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    application.dependency_overrides[get_transactions] = lambda: SavepointTransactions(db)
    return application


class SavepointTransactions:
    """The services' own short transactions as savepoints of the test's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.session.begin_nested():
            yield self.session

    read = write


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
