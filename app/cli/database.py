"""``delphi db``, ``backup`` and ``restore``: the schema and the data as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import reporting_errors
from app.paths import alembic_config

if TYPE_CHECKING:
    pass


db_cli = typer.Typer(no_args_is_help=True, help="Database schema migrations.")


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' for an empty database)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}")


def backup(
    file: Path,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists")] = False,
) -> None:
    """Copy the live database to FILE (SQLite: online backup; PostgreSQL: pg_dump)."""
    from app.backup import service
    from app.config import get_settings

    with reporting_errors(), _tools_or_commands():
        service.backup(get_settings().database_url, file, force=force)
    typer.echo(f"backed up to {file}")
    typer.echo(f"warning: {service.SECRET_WARNING}", err=True)


def restore(
    file: Path,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that is not empty")
    ] = False,
) -> None:
    """Replace the database with the backup FILE, then migrate it to the newest schema.

    Stop the server and the mail worker first.
    """
    from app.backup import service
    from app.config import get_settings

    url = get_settings().database_url
    with reporting_errors(), _tools_or_commands():
        restored = service.restore(url, file, force=force)
    upgraded = f", upgraded from schema {restored.revision or 'base'}" if restored.upgraded else ""
    typer.echo(f"restored {file}{upgraded}")
    if service.secret_matches(url) is False:
        typer.echo(
            "warning: the secret key in use does not match this data: no panelist can reach "
            "their answers. Restore the secret key that was in use when the backup was made.",
            err=True,
        )
    else:
        typer.echo(f"warning: {service.SECRET_WARNING}", err=True)


@contextmanager
def _tools_or_commands() -> Iterator[None]:
    """Without pg_dump or pg_restore here, print the command to run and exit 1."""
    from app.backup.service import ToolMissing

    try:
        yield
    except ToolMissing as exc:
        typer.echo(f"error: {exc}\n  {exc.command}", err=True)
        raise typer.Exit(1) from None
