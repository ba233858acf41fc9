"""The ``delphi`` command: database, studies, panel, rounds, mail, accounts, demo."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.errors import Conflict, DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import Round, Survey

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
db_cli = typer.Typer(no_args_is_help=True, help="Database schema migrations.")
survey_cli = typer.Typer(no_args_is_help=True, help="Study definitions.")
panel_cli = typer.Typer(no_args_is_help=True, help="The panel of invited stakeholders.")
round_cli = typer.Typer(no_args_is_help=True, help="Launch, watch, remind and close rounds.")
mail_cli = typer.Typer(no_args_is_help=True, help="The outbox worker.")
facilitator_cli = typer.Typer(no_args_is_help=True, help="Facilitator accounts.")
apikey_cli = typer.Typer(no_args_is_help=True, help="Analyst API keys.")
for name, sub in [
    ("db", db_cli),
    ("survey", survey_cli),
    ("panel", panel_cli),
    ("round", round_cli),
    ("mail", mail_cli),
    ("facilitator", facilitator_cli),
    ("apikey", apikey_cli),
]:
    cli.add_typer(sub, name=name)

ROOT = Path(__file__).resolve().parent.parent
PASS_LIMIT = 100


def alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logging"] = False
    return config


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


@contextmanager
def _reporting_errors() -> Iterator[None]:
    """Turn a user's mistake into ``error: ...`` and exit status 2, not a traceback."""
    try:
        yield
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _study(key: str) -> Iterator[tuple[Session, Survey]]:
    """One unit of work on the study ``key``."""
    from app.db import unit_of_work
    from app.studies import service

    with _reporting_errors(), unit_of_work() as session:
        yield session, service.get_by_key_or_raise(session, key)


def _open_round(session: Session, survey: Survey) -> Round:
    from app.rounds import repository

    round_ = repository.open_round(session, survey)
    if round_ is None:
        raise Conflict(f"study {survey.key!r} has no open round")
    return round_


@survey_cli.command("import")
def survey_import(file: Path) -> None:
    """Validate a study YAML file and import it; nothing is written on error."""
    from app.db import unit_of_work
    from app.studies import service

    with _reporting_errors(), unit_of_work() as session:
        survey = service.import_file(session, file)
        typer.echo(
            f"imported {survey.key!r}: {len(survey.topics)} topics, "
            f"{len(survey.statements)} statements, {len(survey.criteria)} criteria"
        )


@survey_cli.command("list")
def survey_list() -> None:
    """List the studies."""
    from app.db import unit_of_work
    from app.studies import service

    with unit_of_work() as session:
        for survey in service.list_all(session):
            typer.echo(f"{survey.key}\t{survey.state.value}\t{survey.text(survey.title)}")


@panel_cli.command("import")
def panel_import(survey: str, file: Path) -> None:
    """Import panelists from CSV (email,name,stakeholder_group[,language]): all or nothing."""
    from app.panel import service as panel

    with _study(survey) as (session, study):
        count = panel.import_file(session, study, file)
        typer.echo(f"added {count} panelists to {survey!r}")


@round_cli.command("launch")
def round_launch(
    survey: str,
    deadline: Annotated[
        dt.datetime | None, typer.Option(help="When the round closes (UTC), e.g. 2027-03-01")
    ] = None,
    proposals_only: Annotated[
        bool, typer.Option(help="Open round 0: panelists propose statements, nothing to rate")
    ] = False,
) -> None:
    """Open the next round and queue one invitation per panelist."""
    from app.rounds import service as rounds

    with _study(survey) as (session, study):
        when = deadline.replace(tzinfo=dt.UTC) if deadline else None
        round_ = rounds.launch(
            session, study, deadline=when, actor="cli", proposals_only=proposals_only
        )
        typer.echo(
            f"round {round_.number} of {survey!r} is open with {len(round_.items)} "
            "statements; invitations are queued (run `delphi mail send`)"
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

    with _study(survey) as (session, study):
        study_id = study.id
        latest = repository.latest(session, study)
        unfinished = (
            latest is not None
            and latest.state == RoundState.CLOSED
            and repository.snapshot_of(session, latest) is None
        )
        number = latest.number if unfinished and latest else _open_round(session, study).number
    with _reporting_errors():
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


@round_cli.command("remind")
def round_remind(survey: str) -> None:
    """Queue reminders to panelists who have not submitted the open round."""
    from app.rounds import service as rounds

    with _study(survey) as (session, study):
        round_ = _open_round(session, study)
        typer.echo(f"queued {rounds.remind(session, study, round_, actor='cli')} reminders")


@round_cli.command("status")
def round_status(survey: str) -> None:
    """Show every round of a study with its response rate."""
    from app.rounds import repository
    from app.rounds import service as rounds

    with _study(survey) as (session, study):
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


@mail_cli.command("send")
def mail_send(
    once: Annotated[bool, typer.Option("--once", help="Send what is due, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 5.0,
) -> None:
    """Deliver queued emails (a worker loop; --once for a single pass)."""
    from app.mail import worker

    try:
        if once:
            worker.warn_stuck()  # the loop below checks for itself, every STUCK_AFTER
            sent = failed = retrying = 0
            while True:  # a pass takes at most PASS_LIMIT rows; drain everything that is due
                result = worker.send_due(limit=PASS_LIMIT)
                sent, failed = sent + result.sent, failed + result.failed
                retrying += result.retrying
                if result.sent + result.failed + result.retrying < PASS_LIMIT:
                    break
            typer.echo(f"sent {sent}, failed {failed}, will retry {retrying}")
        else:
            worker.run_forever(interval=interval)
    except ValueError as exc:  # a malformed DELPHI_SMTP_URL or a refused backend, explained
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@mail_cli.command("requeue")
def mail_requeue(
    older_than: Annotated[
        int, typer.Option("--older-than", min=0, help="Only rows claimed this many minutes ago")
    ] = 15,
) -> None:
    """Queue again the emails a stopped worker left in 'sending': each may arrive twice.

    The server may have accepted such an email before the worker stopped; check its log
    first. A resent email carries the same Message-ID, so receivers can drop a duplicate.
    """
    from app.mail import worker

    count = worker.requeue(older_than=dt.timedelta(minutes=older_than))
    typer.echo(
        f"requeued {count} email{'' if count == 1 else 's'} left in 'sending' for more than "
        f"{older_than} minutes; `delphi mail send` delivers them"
    )


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

    with _reporting_errors(), unit_of_work() as session:
        accounts.create(session, email=email, name=name, password=password)
        typer.echo(f"facilitator {email} created")


@apikey_cli.command("create")
def apikey_create(name: str) -> None:
    """Create an analyst API key; it is shown once and stored only hashed."""
    from app.api import keys
    from app.db import unit_of_work

    with _reporting_errors():
        with unit_of_work() as session:
            full = keys.create(session, name=name)
        typer.echo(full)


@cli.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the web application with uvicorn."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)


@cli.command("demo")
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    port: int = 8000,
) -> None:
    """Set up the demo study (migrate, import, simulate round 1, open round 2) and serve it."""
    import os

    from app import demo as demo_module
    from app.config import get_settings

    os.environ.setdefault("DELPHI_BASE_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    demo_module.run(port=port)
    if serve_after:
        serve(host="127.0.0.1", port=port, workers=1)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
