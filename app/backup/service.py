"""Back up and restore the whole database: SQLite by its online backup API, PostgreSQL by
``pg_dump``/``pg_restore``.

The data alone is not enough. Respondents are found by an HMAC of the panelist under the
secret key, and queued emails are sealed with it: restored under another secret, every
panelist's earlier answers and drafts are out of their reach. :data:`SECRET_WARNING` says
so wherever a backup is made or restored, and :func:`secret_matches` checks it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, inspect, select
from sqlalchemy.engine import make_url

from app.db import make_engine, unit_of_work
from app.errors import Conflict, Invalid
from app.models import Panelist, Respondent
from app.security import respondent_key

ROOT = Path(__file__).resolve().parents[2]
SECRET_WARNING = (
    "Keep the secret key with this backup: DELPHI_SECRET_KEY, or the file named by "
    "DELPHI_SECRET_FILE (var/secret_key by default) when that is unset. Restored under "
    "another secret, panelists' earlier answers and drafts no longer match them and "
    "queued emails cannot be sent."
)
TOOL_TIMEOUT = 3600


class ToolMissing(Exception):
    """``pg_dump`` or ``pg_restore`` is not installed here; ``command`` does the job."""

    def __init__(self, tool: str, command: str) -> None:
        super().__init__(f"{tool} is not on PATH; run this where PostgreSQL's tools are:")
        self.command = command


@dataclass(frozen=True)
class Restored:
    """What a restore found: the backup's schema revision and whether it was upgraded."""

    revision: str | None
    upgraded: bool


def _alembic(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    return config


def _head() -> str:
    head = ScriptDirectory.from_config(_alembic("")).get_current_head()
    assert head is not None, "the project has migrations"
    return head


def _known_revision(revision: str | None, source: Path) -> None:
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(_alembic("")).get_revision(revision)
    except CommandError:
        raise Invalid(
            f"{source}: the backup is at schema revision {revision!r}, which this version "
            "does not know; restore it with the version of Delphi that made it"
        ) from None


def _is_empty(url: str) -> bool:
    engine = make_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


# SQLite -------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise Invalid(f"{url.render_as_string()}: an in-memory database cannot be backed up")
    return Path(url.database)


def _sqlite_revision(path: Path) -> str | None:
    """The schema revision of the SQLite file ``path``; ``Invalid`` if it is not ours."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        raise Invalid(f"{path}: not a Delphi SQLite database") from None
    return str(rows[0][0]) if rows else None


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live database page by page (SQLite's online backup API) into ``target``."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _backup_sqlite(url: URL, target: Path) -> None:
    source = _sqlite_file(url)
    if not source.exists():
        raise Invalid(f"{source}: no database here")
    _sqlite_revision(source)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _sqlite_copy(source, partial)
    # One self-contained file, not a WAL database that needs its -wal beside it.
    connection = sqlite3.connect(partial)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    os.replace(partial, target)


def _restore_sqlite(url: URL, source: Path) -> None:
    _sqlite_copy(source, _sqlite_file(url))


# PostgreSQL ---------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL pg_dump understands, and the environment that carries the password."""
    # URL.set() cannot clear a field; the URL is a named tuple.
    plain = url._replace(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), (
        {"PGPASSWORD": str(url.password)} if url.password else {}
    )


def _run(tool: str, arguments: list[str], url: URL, *, connect: bool = True) -> str:
    """Run a PostgreSQL tool on the database ``url`` (or on none, unless ``connect``), or
    raise :class:`ToolMissing` with the command to run elsewhere."""
    plain, secret = _libpq(url)
    command = [tool, *arguments, *([f"--dbname={plain}"] if connect else [])]
    if shutil.which(tool) is None:
        shown = shlex.join(command)
        raise ToolMissing(tool, ("PGPASSWORD=... " if secret else "") + shown)
    result = subprocess.run(
        command,
        env={**os.environ, **secret},
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise Conflict(f"{tool} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _postgres_revision(source: Path, url: URL) -> str | None:
    """The schema revision inside a ``pg_dump`` archive, read without restoring it."""
    script = _run(
        "pg_restore",
        ["--data-only", "--table=alembic_version", "--file=-", str(source)],
        url,
        connect=False,
    )
    lines = script.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[number + 1] if number + 1 < len(lines) else "\\."
            return None if value == "\\." else value.strip()
    raise Invalid(f"{source}: not a Delphi PostgreSQL backup (no schema revision in it)")


# The commands -------------------------------------------------------------------------


def backup(database_url: str, target: Path, *, force: bool = False) -> None:
    """Write a consistent copy of the live database to ``target``."""
    if target.exists() and not force:
        raise Conflict(f"{target} exists; pass --force to replace it")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _backup_sqlite(url, target)
    else:
        _run("pg_dump", ["--format=custom", f"--file={target}"], url)


def restore(database_url: str, source: Path, *, force: bool = False) -> Restored:
    """Replace the database with the backup ``source``, then bring its schema up to date.

    Refuses a database that holds any table unless ``force``, and a backup from a newer
    version of Delphi (its schema revision unknown here).
    """
    if not source.is_file():
        raise Invalid(f"{source}: no such file")
    url = make_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    revision = _sqlite_revision(source) if sqlite else _postgres_revision(source, url)
    _known_revision(revision, source)
    if not force and not _is_empty(database_url):
        raise Conflict(
            f"the database at {url.render_as_string()} is not empty; pass --force to replace "
            "everything in it with the backup"
        )
    if sqlite:
        _restore_sqlite(url, source)
    else:
        _run(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
            url,
        )
    upgraded = revision != _head()
    if upgraded:
        from alembic import command

        command.upgrade(_alembic(database_url), "head")
    return Restored(revision=revision, upgraded=upgraded)


def secret_matches(database_url: str) -> bool | None:
    """Whether the secret key in use finds the respondents of the restored panel.

    ``None`` when nobody has answered yet (nothing to check). Only a yes or no leaves
    this function: which panelist matched which respondent is never kept.
    """
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            keys = set(session.scalars(select(Respondent.key)))
            if not keys:
                return None
            panel = session.execute(select(Panelist.survey_id, Panelist.id))
            return any(respondent_key(s, p) in keys for s, p in panel)
    finally:
        engine.dispose()
