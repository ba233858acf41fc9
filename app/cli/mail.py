"""``delphi worker`` and ``delphi mail``: the background worker and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import on_study, open_round_of

if TYPE_CHECKING:
    pass


mail_cli = typer.Typer(no_args_is_help=True, help="The outbox worker.")


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

    with on_study(survey) as (session, study):
        round_ = open_round_of(session, study)
        count = invitations.retry_failed(session, study, round_, actor="cli")
        typer.echo(f"queued {count} email{'' if count == 1 else 's'} again")
