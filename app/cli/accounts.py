"""``delphi facilitator``, ``team`` and ``apikey``: who may do what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import (
    DEADLINE_HELP,
    account_by_email,
    on_study,
    reporting_errors,
    utc_text,
)

if TYPE_CHECKING:
    pass


facilitator_cli = typer.Typer(no_args_is_help=True, help="Facilitator accounts.")
team_cli = typer.Typer(no_args_is_help=True, help="Who is on a study's team, in which role.")
apikey_cli = typer.Typer(no_args_is_help=True, help="Analyst API keys.")


@facilitator_cli.command("create")
def facilitator_create(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")] = "Facilitator",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a facilitator account (password asked interactively)."""
    from app.console import accounts
    from app.db import unit_of_work

    with reporting_errors(), unit_of_work() as session:
        accounts.create(session, email=email, name=name, password=password)
        typer.echo(f"facilitator {email} created")


@team_cli.command("add")
def team_add(
    survey: str,
    email: str,
    role: Annotated[str, typer.Option(help="owner, facilitator or observer")] = "owner",
) -> None:
    """Put an existing account on a study's team."""
    from app.team import service as team

    with on_study(survey) as (session, study):
        parsed = team.parse_role(role)
        team.add(session, study, account_by_email(session, email), parsed, actor="cli")
        typer.echo(f"{email} is {parsed.value} of {study.key}")


@team_cli.command("list")
def team_list(survey: str) -> None:
    """The study's team: email, role, and whether a password is set yet."""
    from app.team import service as team

    with on_study(survey) as (session, study):
        for member in team.members(session, study):
            pending = "\tinvited, no password yet" if member.pending else ""
            typer.echo(f"{member.facilitator.email}\t{member.membership.role.value}{pending}")


@apikey_cli.command("create")
def apikey_create(
    name: str,
    study: Annotated[str, typer.Option(help="Key of the one study it reads (default: all)")] = "",
    expires: Annotated[str, typer.Option(help="Expiry: " + DEADLINE_HELP)] = "",
) -> None:
    """Create an analyst API key; it is shown once and stored only hashed."""
    from app.api import keys
    from app.db import unit_of_work
    from app.studies import service

    with reporting_errors():
        with unit_of_work() as session:
            survey = service.get_by_key_or_raise(session, study) if study else None
            full = keys.create(
                session, name=name, survey=survey, expires_at=keys.parse_expiry(expires)
            )
        typer.echo(full)


@apikey_cli.command("list")
def apikey_list() -> None:
    """Every key: prefix, name, study, state, expiry, last used (never the key itself)."""
    from app.api import keys
    from app.db import unit_of_work

    with unit_of_work() as session:
        for view in keys.list_keys(session):
            key = view.key
            used = key.last_used_on.isoformat() if key.last_used_on else "never"
            expires = utc_text(key.expires_at) if key.expires_at else "never"
            typer.echo(
                f"dk_{key.prefix}\t{key.name}\t{view.study or '(all studies)'}\t{view.state}"
                f"\texpires {expires}\tlast used {used}"
            )


@apikey_cli.command("revoke")
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix, dk_...")]) -> None:
    """Revoke a key: it is refused (401) from now on."""
    from app.api import keys
    from app.db import unit_of_work

    with reporting_errors(), unit_of_work() as session:
        key = keys.get_or_raise(session, prefix=prefix)
        keys.revoke(session, key, actor="cli")
        typer.echo(f"revoked dk_{key.prefix} ({key.name})")
