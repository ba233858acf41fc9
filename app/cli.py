"""The ``delphi`` command: database, studies, panel, rounds, mail, accounts, demo."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.errors import Conflict, DomainError, Invalid, NotFound

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session

    from app.models import Facilitator, Round, Survey

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
db_cli = typer.Typer(no_args_is_help=True, help="Database schema migrations.")
survey_cli = typer.Typer(no_args_is_help=True, help="Study definitions.")
panel_cli = typer.Typer(no_args_is_help=True, help="The panel of invited stakeholders.")
round_cli = typer.Typer(no_args_is_help=True, help="Launch, watch, remind and close rounds.")
mail_cli = typer.Typer(no_args_is_help=True, help="The outbox worker.")
facilitator_cli = typer.Typer(no_args_is_help=True, help="Facilitator accounts.")
team_cli = typer.Typer(no_args_is_help=True, help="Who is on a study's team, in which role.")
apikey_cli = typer.Typer(no_args_is_help=True, help="Analyst API keys.")
for name, sub in [
    ("db", db_cli),
    ("survey", survey_cli),
    ("panel", panel_cli),
    ("round", round_cli),
    ("mail", mail_cli),
    ("facilitator", facilitator_cli),
    ("team", team_cli),
    ("apikey", apikey_cli),
]:
    cli.add_typer(sub, name=name)

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_HELP = (
    "A date (the end of that day, UTC), e.g. 2027-03-01, or an ISO 8601 date and time, "
    "UTC unless it gives an offset, e.g. 2027-03-01T17:00+01:00"
)


def _utc(value: dt.datetime | None) -> str:
    from app.schedule.plan import as_utc

    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def alembic_config() -> Config:
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

    with _reporting_errors(), unit_of_work() as session:
        survey = service.import_file(session, file)
        for email in owner or []:
            team.add(session, survey, _account(session, email), Role.OWNER, actor="cli")
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


@panel_cli.command("list")
def panel_list(survey: str) -> None:
    """List the panel with each panelist's last invitation (never what they answered)."""
    from app.panel import roster

    with _study(survey) as (session, study):
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

    with _study(survey) as (session, study):
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

    with _study(survey) as (session, study):
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

    with _study(survey) as (session, study):
        panel.remove(
            session, study, panel.get_by_email_or_raise(session, study, email), actor="cli"
        )
        typer.echo(f"removed {email.strip()} from {survey!r}; their name and email are erased")


@panel_cli.command("resend")
def panel_resend(survey: str, email: str) -> None:
    """Send a panelist a fresh link to the open round; their earlier links stop working."""
    from app.panel import service as panel
    from app.rounds import invitations

    with _study(survey) as (session, study):
        who = panel.get_by_email_or_raise(session, study, email)
        round_ = invitations.resend(session, study, who, actor="cli")
        typer.echo(f"a fresh link to round {round_.number} is queued; the old ones no longer work")


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

    with _study(survey) as (session, study):
        round_ = rounds.launch(
            session,
            study,
            deadline=deadlines.parse(deadline),
            actor="cli",
            proposals_only=proposals_only,
        )
        closes = f"; it closes at {_utc(round_.deadline)}" if round_.deadline else ""
        typer.echo(
            f"round {round_.number} of {survey!r} is open with {len(round_.items)} "
            f"statements{closes}; invitations are queued (`delphi worker` sends them)"
        )


@round_cli.command("extend")
def round_extend(survey: str, deadline: Annotated[str, typer.Argument(help=DEADLINE_HELP)]) -> None:
    """Move the open round's deadline later; every invited panelist is told by mail."""
    from app.rounds import deadlines

    with _study(survey) as (session, study):
        round_ = _open_round(session, study)
        when = deadlines.parse(deadline)
        if when is None:
            raise Invalid("deadline: give the new deadline")
        told = deadlines.extend(session, study, round_, when, actor="cli")
        typer.echo(
            f"round {round_.number} now closes at {_utc(when)}; {told} panelists will be told"
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


@round_cli.command("import")
def round_import(survey: str, path: Path) -> None:
    """Load a closed round answered elsewhere from a long CSV (one row per answer).

    Columns: round, respondent, statement, criterion, rating (empty for cannot judge), and
    optionally cannot_judge (1/0), stakeholder_group, reason. Nothing is written on error.
    """
    from app.round_import import service as round_import

    with _study(survey) as (session, study):
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

    with _study(survey) as (session, study):
        round_ = _open_round(session, study)
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


@cli.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between passes (DELPHI_WORKER_INTERVAL)")
    ] = None,
) -> None:
    """The background worker: closes rounds at their deadline, sends scheduled reminders,
    delivers the outbox. Several may run against PostgreSQL; run one on SQLite."""
    from app.schedule import runner

    try:
        if once:
            result = runner.run_once()
            if result.closed or result.reminders:
                typer.echo(
                    f"closed {result.closed} rounds at their deadline, "
                    f"ran {result.reminders} scheduled reminders"
                )
            mail = result.mail
            typer.echo(f"sent {mail.sent}, failed {mail.failed}, will retry {mail.retrying}")
        else:
            runner.run_forever(interval=interval)
    except ValueError as exc:  # a malformed DELPHI_SMTP_URL or a refused backend, explained
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@mail_cli.command("send")
def mail_send(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[float | None, typer.Option(help="Seconds between passes")] = None,
) -> None:
    """The same as `delphi worker` (its older name)."""
    worker(once=once, interval=interval)


@mail_cli.command("status")
def mail_status() -> None:
    """Count the outbox: queued, sending, sent, failed and cancelled emails."""
    from app.db import unit_of_work
    from app.mail import status

    with unit_of_work() as session:
        counts = status.totals(session)
    stalled = f" ({counts.stalled} left by a stopped worker)" if counts.stalled else ""
    typer.echo(
        f"queued {counts.queued}, sending {counts.sending}{stalled}, sent {counts.sent}, "
        f"failed {counts.failed}, cancelled {counts.cancelled}"
    )


@mail_cli.command("requeue")
def mail_requeue(
    older_than: Annotated[
        int, typer.Option("--older-than", min=0, help="Only rows claimed this many minutes ago")
    ] = 0,
) -> None:
    """End the lease of emails left in 'sending', so the next pass sends them now.

    Not needed after a crash: once its lease (DELPHI_MAIL_LEASE) runs out, any worker
    sends such an email again by itself. This is for not waiting: use it only when no
    worker is sending, or an email may arrive twice (with the same Message-ID).
    """
    from app.mail import worker as mail_worker

    count = mail_worker.requeue(older_than=dt.timedelta(minutes=older_than))
    typer.echo(
        f"requeued {count} email{'' if count == 1 else 's'} left in 'sending'; "
        "the next pass of `delphi worker` sends them"
    )


@mail_cli.command("retry")
def mail_retry(survey: str) -> None:
    """Send again, with fresh links, the open round's emails that failed for good."""
    from app.rounds import invitations

    with _study(survey) as (session, study):
        round_ = _open_round(session, study)
        count = invitations.retry_failed(session, study, round_, actor="cli")
        typer.echo(f"queued {count} email{'' if count == 1 else 's'} again")


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


def _account(session: Session, email: str) -> Facilitator:
    from app.console import accounts

    facilitator = accounts.get_by_email(session, email)
    if facilitator is None:
        raise NotFound(f"no facilitator account has the email {email!r}")
    return facilitator


@team_cli.command("add")
def team_add(
    survey: str,
    email: str,
    role: Annotated[str, typer.Option(help="owner, facilitator or observer")] = "owner",
) -> None:
    """Put an existing account on a study's team."""
    from app.team import service as team

    with _study(survey) as (session, study):
        parsed = team.parse_role(role)
        team.add(session, study, _account(session, email), parsed, actor="cli")
        typer.echo(f"{email} is {parsed.value} of {study.key}")


@team_cli.command("list")
def team_list(survey: str) -> None:
    """The study's team: email, role, and whether a password is set yet."""
    from app.team import service as team

    with _study(survey) as (session, study):
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

    with _reporting_errors():
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
            typer.echo(
                f"dk_{key.prefix}\t{key.name}\t{view.study or '(all studies)'}\t{view.state}"
                f"\texpires {_utc(key.expires_at) if key.expires_at else 'never'}\tlast used {used}"
            )


@apikey_cli.command("revoke")
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix, dk_...")]) -> None:
    """Revoke a key: it is refused (401) from now on."""
    from app.api import keys
    from app.db import unit_of_work

    with _reporting_errors(), unit_of_work() as session:
        key = keys.get_or_raise(session, prefix=prefix)
        keys.revoke(session, key, actor="cli")
        typer.echo(f"revoked dk_{key.prefix} ({key.name})")


@cli.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the web application with uvicorn.

    uvicorn's own access log is off: the application writes its own, which leaves out
    what could tie a panelist to an answer (see app/web/access_log.py). X-Forwarded-*
    headers are believed only from DELPHI_TRUSTED_PROXIES, by the application itself.
    """
    import uvicorn

    from app.config import get_settings

    if workers > 1 and get_settings().rate_limit_storage == "memory://":
        typer.echo(
            f"warning: with {workers} workers and DELPHI_RATE_LIMIT_STORAGE=memory:// each "
            "worker counts sign-in and link attempts alone; set it to redis://host:port",
            err=True,
        )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,
    )


@cli.command("backup")
def backup(
    file: Path,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists")] = False,
) -> None:
    """Copy the live database to FILE (SQLite: online backup; PostgreSQL: pg_dump)."""
    from app.backup import service
    from app.config import get_settings

    with _reporting_errors(), _tools_or_commands():
        service.backup(get_settings().database_url, file, force=force)
    typer.echo(f"backed up to {file}")
    typer.echo(f"warning: {service.SECRET_WARNING}", err=True)


@cli.command("restore")
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
    with _reporting_errors(), _tools_or_commands():
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


@cli.command("demo")
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on (make demo PORT=8123)")] = 8000,
) -> None:
    """Set up the demo study (migrate, import, simulate round 1, open round 2) and serve it,
    with the background worker running beside the server."""
    import os
    import subprocess

    from app import demo as demo_module
    from app.config import get_settings

    os.environ.setdefault("DELPHI_BASE_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    demo_module.run(port=port, worker_beside=serve_after)
    if not serve_after:
        return
    # Its own process, as in production; it prints each demo link as it "sends" the mail.
    worker_process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker"], cwd=os.getcwd()
    )
    try:
        serve(host="127.0.0.1", port=port, workers=1)
    finally:
        worker_process.terminate()
        try:
            worker_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker_process.kill()


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
