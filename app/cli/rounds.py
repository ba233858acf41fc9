"""``delphi round``: launch, watch, remind and close rounds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import DEADLINE_HELP, on_study, open_round_of, reporting_errors, utc_text
from app.errors import Invalid

if TYPE_CHECKING:
    pass


round_cli = typer.Typer(no_args_is_help=True, help="Launch, watch, remind and close rounds.")


@round_cli.command("launch")
def round_launch(
    survey: str,
    deadline: Annotated[str, typer.Option(help=DEADLINE_HELP)] = "",
    proposals_only: Annotated[
        bool, typer.Option(help="Open round 0: panelists propose statements, nothing to rate")
    ] = False,
) -> None:
    """Open the next round and queue one invitation per panelist."""
    from app.rounds import deadlines
    from app.rounds import service as rounds

    with on_study(survey) as (session, study):
        round_ = rounds.launch(
            session,
            study,
            deadline=deadlines.parse(deadline),
            actor="cli",
            proposals_only=proposals_only,
        )
        closes = f"; it closes at {utc_text(round_.deadline)}" if round_.deadline else ""
        typer.echo(
            f"round {round_.number} of {survey!r} is open with {len(round_.items)} "
            f"statements{closes}; invitations are queued (`delphi worker` sends them)"
        )


@round_cli.command("extend")
def round_extend(survey: str, deadline: Annotated[str, typer.Argument(help=DEADLINE_HELP)]) -> None:
    """Move the open round's deadline later; every invited panelist is told by mail."""
    from app.rounds import deadlines

    with on_study(survey) as (session, study):
        round_ = open_round_of(session, study)
        when = deadlines.parse(deadline)
        if when is None:
            raise Invalid("deadline: give the new deadline")
        told = deadlines.extend(session, study, round_, when, actor="cli")
        typer.echo(
            f"round {round_.number} now closes at {utc_text(when)}; {told} panelists will be told"
        )


@round_cli.command("close")
def round_close(survey: str) -> None:
    """Close the open round and compute its snapshot.

    A round left closed without results (the process closing it stopped halfway) gets them.
    """
    from app.db import Transactions
    from app.models import RoundState
    from app.rounds import repository
    from app.rounds import service as rounds

    with on_study(survey) as (session, study):
        study_id = study.id
        latest = repository.latest(session, study)
        unfinished = (
            latest is not None
            and latest.state == RoundState.CLOSED
            and repository.snapshot_of(session, latest) is None
        )
        number = latest.number if unfinished and latest else open_round_of(session, study).number
    with reporting_errors():
        if unfinished:
            snap = rounds.complete(Transactions(), study_id, number)
        else:
            snap = rounds.close_promptly(Transactions(), study_id, number, actor="cli")
        outcomes = [s["outcome"] for s in snap.results["statements"]]
        typer.echo(
            f"round {number} closed: {snap.responded} of {snap.invited} responded; "
            f"{outcomes.count('consensus')} consensus, {outcomes.count('stable')} stable, "
            f"{outcomes.count('carried')} carried forward"
        )


@round_cli.command("import")
def round_import(survey: str, path: Path) -> None:
    """Load a closed round answered elsewhere from a long CSV (one row per answer).

    Columns: round, respondent, statement, criterion, rating (empty for cannot judge), and
    optionally cannot_judge (1/0), stakeholder_group, reason. Nothing is written on error.
    """
    from app.round_import import service as round_import

    with on_study(survey) as (session, study):
        done = round_import.import_file(session, study, path)
        for warning in done.warnings:
            typer.echo(f"note: {warning}", err=True)
        outcomes = [s["outcome"] for s in done.snapshot.results["statements"]]
        typer.echo(
            f"round {done.round.number} of {survey!r} imported and closed: "
            f"{done.respondents} respondents, {len(done.round.items)} statements; "
            f"{outcomes.count('consensus')} consensus"
        )


@round_cli.command("remind")
def round_remind(
    survey: str,
    email: Annotated[
        str, typer.Option(help="Remind this panelist only (sent whether or not they answered)")
    ] = "",
) -> None:
    """Queue reminders to panelists who have not submitted the open round."""
    from app.panel import service as panel
    from app.rounds import invitations
    from app.rounds import service as rounds

    with on_study(survey) as (session, study):
        round_ = open_round_of(session, study)
        if email:
            who = panel.get_by_email_or_raise(session, study, email)
            invitations.remind_one(session, study, round_, who, actor="cli")
            typer.echo("queued 1 reminder")
        else:
            typer.echo(f"queued {rounds.remind(session, study, round_, actor='cli')} reminders")


@round_cli.command("status")
def round_status(survey: str) -> None:
    """Show every round of a study with its response rate."""
    from app.rounds import repository
    from app.rounds import service as rounds

    with on_study(survey) as (session, study):
        all_rounds = repository.rounds_of(session, study)
        if not all_rounds:
            typer.echo(f"{survey!r} has no rounds yet")
        for round_ in all_rounds:
            st = rounds.status(session, round_)
            typer.echo(
                f"round {round_.number}: {round_.state.value}, {len(round_.items)} statements, "
                f"{st.submitted}/{st.invited} submitted ({st.response_rate:.0%}), "
                f"{st.started} started"
            )
