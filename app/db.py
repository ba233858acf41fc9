"""Database engine, sessions and the unit-of-work dependency."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``.

    SQL parameters never appear in error messages or logs (``hide_parameters``, and see
    :func:`_first_line_only`): they carry emails, names, reasons and ratings. On SQLite
    every transaction begins with ``BEGIN IMMEDIATE``, taking the one write lock up
    front, so transactions run one at a time (each waiting up to the 30 s busy timeout);
    see :func:`_serialise_sqlite`.
    """
    if url.startswith("sqlite"):
        database = url.split(":///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )
        _serialise_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _first_line_only)
    return engine


def _first_line_only(context: ExceptionContext) -> None:
    """Cut a database error's message to its first line.

    PostgreSQL adds a DETAIL line that repeats the values of the row at fault (``Key
    (survey_id, email)=(1, someone@example.org) already exists``); ``hide_parameters``
    does not reach it. The full diagnostics stay on the driver's exception (``diag``).
    """
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            first, _, rest = error.args[0].partition("\n")
            if rest:
                error.args = (first, *error.args[1:])


def _serialise_sqlite(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe, with ``BEGIN IMMEDIATE``.

    pysqlite begins a transaction lazily, at the first write, so a read at the start of a
    unit of work (is the round still open?) is not protected by anything: another writer
    can commit in between. ``SELECT ... FOR UPDATE`` is a no-op on SQLite, so the only
    lock there is the database's write lock, and taking it when the transaction begins
    makes each transaction see and change the database alone.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from emitting BEGIN (and COMMIT before DDL) itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Outside any transaction: inside one, PRAGMA foreign_keys is silently ignored.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for ``DELPHI_DATABASE_URL``."""
    return make_engine(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (the process engine by default)."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session() -> Iterator[Session]:
    """Request-scoped unit of work; committed before the response is sent."""
    with unit_of_work() as session:
        yield session


# scope="function" ends the dependency (and so commits) before the response goes out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
