"""Database engine, sessions and units of work (the request dependencies: ``app.web.sessions``)."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, ColumnDefault, Connection, Engine, Table, create_engine, event, insert
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.config import get_settings

READONLY = "delphi_readonly"


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``.

    SQL parameters never appear in error messages or logs (``hide_parameters``, and see
    :func:`_first_line_only`): they carry emails, names, reasons and ratings. Every wait
    for a lock is bounded by ``DELPHI_LOCK_TIMEOUT``: a request that cannot get the
    database in time fails with an ``OperationalError``, which the web layer answers with
    503 and ``Retry-After``, never by waiting without end. On SQLite writers take turns
    through one in-process lock; see :func:`_serialise_sqlite`.
    """
    settings = get_settings()
    timeout = settings.lock_timeout
    if url.startswith("sqlite"):
        database = url.split(":///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        in_memory = not database or database == ":memory:"
        pool = (
            {}
            if in_memory
            else {
                "pool_size": settings.db_pool_size,
                "max_overflow": settings.db_pool_overflow,
                "pool_timeout": timeout,
            }
        )
        engine = create_engine(
            url,
            connect_args={
                # Other processes on the same file (the worker, the CLI) wait this long.
                "timeout": timeout,
                "check_same_thread": False,
                "factory": _TurnTakingConnection,
            },
            hide_parameters=True,
            **pool,
        )
        _serialise_sqlite(engine, timeout)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            hide_parameters=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_overflow,
            pool_timeout=timeout,
            # A row lock held too long (a stuck transaction) ends the waiting request.
            connect_args={"options": f"-c lock_timeout={int(timeout * 1000)}"},
        )
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


class _TurnTakingConnection(sqlite3.Connection):
    """A pysqlite connection that hands the process's write turn back when it ends.

    ``turn`` is set by :func:`_serialise_sqlite` when the connection begins a write
    transaction; commit, rollback and close release it after SQLite has finished.
    """

    turn: threading.Lock | None = None
    query_only: bool = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        turn, self.turn = self.turn, None
        if turn is not None:
            turn.release()


def _serialise_sqlite(engine: Engine, timeout: float) -> None:
    """SQLAlchemy's documented pysqlite recipe, with one writer at a time.

    pysqlite begins a transaction lazily, at the first write, so a read at the start of a
    unit of work (is the round still open?) is not protected by anything: another writer
    can commit in between. ``SELECT ... FOR UPDATE`` is a no-op on SQLite, so the only
    lock there is the database's write lock, and a write transaction takes it when it
    begins (``BEGIN IMMEDIATE``), seeing and changing the database alone.

    Writers of this process first take turns on a ``threading.Lock``: a waiting thread
    wakes the moment the turn is free, where SQLite's own busy handler would poll with
    sleeps of up to 100 ms. Read-only transactions (:func:`read_session`, every GET) begin
    ``DEFERRED`` under ``PRAGMA query_only`` and wait for nobody: in WAL mode a reader
    sees the last committed state while a writer works.
    """
    turn = threading.Lock()

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
        dbapi = connection.connection.dbapi_connection
        assert isinstance(dbapi, _TurnTakingConnection)
        readonly = bool(connection.get_execution_options().get(READONLY))
        # Straight to the driver: these run twice a request, and SQLAlchemy's statement
        # machinery cost more than SQLite does. Its errors are wrapped as it would.
        if dbapi.query_only != readonly:
            _driver_execute(dbapi, f"PRAGMA query_only={int(readonly)}")
            dbapi.query_only = readonly
        if readonly:
            _driver_execute(dbapi, "BEGIN DEFERRED")
            return
        if not turn.acquire(timeout=timeout):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        dbapi.turn = turn
        try:
            _driver_execute(dbapi, "BEGIN IMMEDIATE")
        except BaseException:
            dbapi._release()
            raise


def _driver_execute(dbapi: sqlite3.Connection, sql: str) -> None:
    try:
        dbapi.execute(sql).close()
    except sqlite3.OperationalError as exc:
        raise OperationalError(sql, None, exc) from exc


class _ProcessEngine:
    """The process-wide engine for ``DELPHI_DATABASE_URL``, built once under a lock.

    (``functools.lru_cache`` alone lets threads that ask at the same moment build one
    engine, and one connection pool, each.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def __call__(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(get_settings().database_url)
            return self._engine

    def cache_clear(self) -> None:
        """Forget the engine (tests that point the settings at another database)."""
        with self._lock:
            self._engine = None


get_engine = _ProcessEngine()


def session_factory(
    engine: Engine | None = None, *, readonly: bool = False
) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (the process engine by default).

    ``readonly`` sessions never write; on SQLite they take no lock at all.
    """
    return _session_factory(engine or get_engine(), readonly)


@functools.lru_cache(maxsize=16)
def _session_factory(engine: Engine, readonly: bool) -> sessionmaker[Session]:
    # Built once per engine: an engine's execution_options() copy joins its event
    # listeners anew, which cost more than a read-only request's query.
    bind = engine.execution_options(**{READONLY: True}) if readonly else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = session_factory(engine, readonly=readonly)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read_session(engine: Engine | None = None) -> AbstractContextManager[Session]:
    """A unit of work that only reads: on SQLite it waits for no writer."""
    return unit_of_work(engine, readonly=True)


class Transactions:
    """Where a service that runs several short transactions of its own opens them."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine

    def write(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.engine)

    def read(self) -> AbstractContextManager[Session]:
        return read_session(self.engine)


def insert_many(session: Session, model: type[DeclarativeBase], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``model``'s table in the session's
    transaction.

    For a launch's 10,000 links and invitations and for every submitted answer set. On
    PostgreSQL by ``COPY``: psycopg's executemany sends the rows one statement each down a
    pipeline, 0.9 s for 10,000 outbox rows against 0.1 s by COPY, and 8.4 against 4.4 ms
    for one answer set's 54 rows. Elsewhere one Core executemany, which skips the ORM's
    bulk-insert bookkeeping. Rows keep their order either way, so serial ids follow it
    (reminder links are minted in panel order; see ``app.rounds.links``). A random-id
    table's rows must bring their ids: a callable default is called once per call here.
    """
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    given = tuple(rows[0])
    copy_sql, processors, defaults = _copy_plan(table, given, connection.dialect)
    fixed = [d.arg(None) if d.is_callable else d.arg for d in defaults]
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            values = [*(row[key] for key in given), *fixed]
            pairs = zip(values, processors, strict=True)
            copy.write_row([v if p is None or v is None else p(v) for v, p in pairs])


@functools.lru_cache(maxsize=64)
def _copy_plan(
    table: Table, given: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[Callable[[Any], Any] | None], list[ColumnDefault]]:
    """The ``COPY`` statement, each column's conversion and the defaults of the columns
    not given, for rows with the keys ``given`` (built once per table and key set)."""
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in given
        and isinstance(column.default, ColumnDefault)
        and not column.primary_key
    }
    columns = [table.c[key] for key in [*given, *defaults]]
    # Each column's own conversion (enum to its value, JSON to text), as an INSERT would.
    # (psycopg's dialect leaves JSON to the driver, which COPY cannot be told about.)
    processors: list[Callable[[Any], Any] | None] = [
        json.dumps if isinstance(column.type, JSON) else column.type.bind_processor(dialect)
        for column in columns
    ]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    # names from the model, not input
    return f"COPY {table.name} ({names}) FROM STDIN", processors, list(defaults.values())
