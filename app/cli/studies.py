"""``delphi survey``: study definitions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import (
    account_by_email,
    reporting_errors,
)

if TYPE_CHECKING:
    pass


survey_cli = typer.Typer(no_args_is_help=True, help="Study definitions.")


@survey_cli.command("import")
def survey_import(
    file: Path,
    owner: Annotated[
        list[str] | None, typer.Option(help="Email of an account to make owner (repeatable)")
    ] = None,
) -> None:
    """Validate a study YAML file and import it; nothing is written on error."""
    from app.db import unit_of_work
    from app.models import Role
    from app.studies import service
    from app.team import service as team

    with reporting_errors(), unit_of_work() as session:
        survey = service.import_file(session, file)
        for email in owner or []:
            team.add(session, survey, account_by_email(session, email), Role.OWNER, actor="cli")
        typer.echo(
            f"imported {survey.key!r}: {len(survey.topics)} topics, "
            f"{len(survey.statements)} statements, {len(survey.criteria)} criteria"
        )
    if not owner:
        typer.echo(
            f"note: nobody can open {survey.key!r} in the console until it has an owner: "
            f"delphi team add {survey.key} EMAIL --role owner",
            err=True,
        )


@survey_cli.command("list")
def survey_list() -> None:
    """List the studies."""
    from app.db import unit_of_work
    from app.studies import repository

    with unit_of_work() as session:
        for survey in repository.list_all(session):
            typer.echo(f"{survey.key}\t{survey.state.value}\t{survey.text(survey.title)}")
