"""What the command groups share: turning domain errors into exit status 2, the study
a command names, its open round, dates as printed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from app.errors import Conflict, DomainError, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import Facilitator, Round, Survey


DEADLINE_HELP = (
    "A date (the end of that day, UTC), e.g. 2027-03-01, or an ISO 8601 date and time, "
    "UTC unless it gives an offset, e.g. 2027-03-01T17:00+01:00"
)


def utc_text(value: dt.datetime | None) -> str:
    from app.schedule.plan import as_utc

    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a user's mistake into ``error: ...`` and exit status 2, not a traceback."""
    try:
        yield
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def on_study(key: str) -> Iterator[tuple[Session, Survey]]:
    """One unit of work on the study ``key``."""
    from app.db import unit_of_work
    from app.studies import repository

    with reporting_errors(), unit_of_work() as session:
        yield session, repository.get_by_key_or_raise(session, key)


def open_round_of(session: Session, survey: Survey) -> Round:
    from app.rounds import repository

    round_ = repository.open_round(session, survey)
    if round_ is None:
        raise Conflict(f"study {survey.key!r} has no open round")
    return round_


def account_by_email(session: Session, email: str) -> Facilitator:
    from app.console import accounts

    facilitator = accounts.get_by_email(session, email)
    if facilitator is None:
        raise NotFound(f"no facilitator account has the email {email!r}")
    return facilitator
