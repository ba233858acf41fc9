"""``delphi panel``: the panel of invited stakeholders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import on_study

if TYPE_CHECKING:
    pass


panel_cli = typer.Typer(no_args_is_help=True, help="The panel of invited stakeholders.")


@panel_cli.command("import")
def panel_import(survey: str, file: Path) -> None:
    """Import panelists from CSV (email,name,stakeholder_group[,language]): all or nothing."""
    from app.panel import service as panel

    with on_study(survey) as (session, study):
        count = panel.import_file(session, study, file)
        typer.echo(f"added {count} panelists to {survey!r}")


@panel_cli.command("list")
def panel_list(survey: str) -> None:
    """List the panel with each panelist's last invitation (never what they answered)."""
    from app.panel import roster

    with on_study(survey) as (session, study):
        for entry in roster.entries(session, study):
            p = entry.panelist
            typer.echo(
                f"{p.email}\t{p.name}\t{p.stakeholder_group}\t{p.language}\t{entry.delivery_text}"
            )


@panel_cli.command("add")
def panel_add(
    survey: str,
    email: str,
    name: Annotated[str, typer.Option(help="Full name")],
    group: Annotated[str, typer.Option(help="Stakeholder group key")],
    language: Annotated[str, typer.Option(help="Language (the study's first if not given)")] = "",
) -> None:
    """Add one panelist; while a round is open they are invited to it at once."""
    from app.panel import service as panel
    from app.rounds import invitations

    with on_study(survey) as (session, study):
        row = panel.check(study, email=email, name=name, stakeholder_group=group, language=language)
        added = panel.add(session, study, row, actor="cli")
        invited = invitations.invite_late(session, study, added, actor="cli")
        typer.echo(
            f"added {row.email} to {survey!r}"
            + ("; their invitation to the open round is queued" if invited else "")
        )


@panel_cli.command("edit")
def panel_edit(
    survey: str,
    email: str,
    new_email: Annotated[str, typer.Option("--email", help="New email address")] = "",
    name: Annotated[str, typer.Option(help="New name")] = "",
    group: Annotated[str, typer.Option(help="New stakeholder group key")] = "",
    language: Annotated[str, typer.Option(help="New language")] = "",
) -> None:
    """Change a panelist's email, name, stakeholder group or language."""
    from app.panel import service as panel

    with on_study(survey) as (session, study):
        who = panel.get_by_email_or_raise(session, study, email)
        row = panel.check(
            study,
            email=new_email or who.email or "",
            name=name or who.name,
            stakeholder_group=group or who.stakeholder_group,
            language=language or who.language,
        )
        changed = panel.update(session, study, who, row, actor="cli")
        typer.echo(f"changed {', '.join(changed)}" if changed else "nothing to change")


@panel_cli.command("remove")
def panel_remove(survey: str, email: str) -> None:
    """Remove a panelist: their personal data is erased, their anonymous answers stay."""
    from app.panel import service as panel

    with on_study(survey) as (session, study):
        panel.remove(
            session, study, panel.get_by_email_or_raise(session, study, email), actor="cli"
        )
        typer.echo(f"removed {email.strip()} from {survey!r}; their name and email are erased")


@panel_cli.command("resend")
def panel_resend(survey: str, email: str) -> None:
    """Send a panelist a fresh link to the open round; their earlier links stop working."""
    from app.panel import service as panel
    from app.rounds import invitations

    with on_study(survey) as (session, study):
        who = panel.get_by_email_or_raise(session, study, email)
        round_ = invitations.resend(session, study, who, actor="cli")
        typer.echo(f"a fresh link to round {round_.number} is queued; the old ones no longer work")
