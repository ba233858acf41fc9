"""Checkpoints of a real-time study: the answers as they stand, frozen like a round close.

A checkpoint becomes a closed round of its own: the live round's statements and every
submitted answer set (with its responses and reasons) are copied into it, and the round
close's own steps compute and store its snapshot (:func:`app.rounds.service.complete`),
so the report, the API, the exports and the comparison between checkpoints work as they
do for rounds. The checkpoint takes the live round's number, and the live round moves to
the next: checkpoints 1, 2, ... read as rounds, the open live round comes after them.

Two checkpoints at once give one snapshot: the live round's row is locked while the
answers are copied, and a checkpoint that finds no answer since the last one returns
that one's snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.answers import live as live_answers
from app.audit import record
from app.db import Transactions
from app.errors import N_, Conflict, DomainError, NotFound
from app.models import Round, RoundItem, RoundSnapshot, RoundState, Survey, SurveyMode
from app.models.base import utcnow
from app.rounds import repository
from app.rounds import service as rounds
from app.schedule.plan import as_utc

log = logging.getLogger("app.realtime")
ACTOR = "scheduler"


def take(transactions: Transactions, survey_id: int, *, actor: str) -> RoundSnapshot:
    """Freeze the live round's answers as the next checkpoint and compute its snapshot."""
    with transactions.write() as session:
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise NotFound(N_("no such study"))
        number = _freeze(session, survey, actor=actor)
    try:
        return rounds.complete(transactions, survey_id, number)
    except Conflict:
        # The same checkpoint asked for twice at once: the other request stored it.
        with transactions.read() as session:
            survey = session.get_one(Survey, survey_id)
            snapshot = repository.snapshot_of(session, rounds.get_or_raise(session, survey, number))
            if snapshot is None:
                raise
            session.expunge(snapshot)
            return snapshot


def live_round(session: Session, survey: Survey) -> Round:
    """The open round of a real-time study."""
    if not survey.is_realtime:
        raise Conflict(N_("study %(key)s is not a real-time study"), key=repr(survey.key))
    round_ = repository.open_round(session, survey)
    if round_ is None:
        raise Conflict(N_("study %(key)s is not open"), key=repr(survey.key))
    return round_


def checkpoints_of(session: Session, live: Round) -> list[Round]:
    return list(
        session.scalars(select(Round).where(Round.checkpoint_of == live.id).order_by(Round.number))
    )


def _freeze(session: Session, survey: Survey, *, actor: str) -> int:
    """Copy the live answers into a new closed round (or find the checkpoint of these very
    answers); its number."""
    live = live_round(session, survey)
    # Answers hold this row FOR SHARE while they write: the copy waits for those in
    # flight and no answer lands halfway through it (on SQLite the write turn does this).
    session.execute(select(Round.id).where(Round.id == live.id).with_for_update())
    session.refresh(live)
    if live.state != RoundState.OPEN:
        raise Conflict(N_("study %(key)s closed meanwhile"), key=repr(survey.key))
    answers = live_answers.revisions(session, live.id)
    last = session.scalar(
        select(Round).where(Round.checkpoint_of == live.id).order_by(Round.number.desc()).limit(1)
    )
    if last is not None and last.revisions == answers:
        return last.number
    number = live.number
    session.execute(
        update(Round)
        .where(Round.id == live.id)
        .values(number=number + 1)
        .execution_options(synchronize_session=False)
    )
    checkpoint = Round(
        survey_id=survey.id,
        number=number,
        state=RoundState.CLOSED,
        opened_at=live.opened_at,
        closed_at=utcnow(),
        checkpoint_of=live.id,
        revisions=answers,
    )
    checkpoint.items = [
        RoundItem(statement_id=item.statement_id, position=item.position) for item in live.items
    ]
    session.add(checkpoint)
    session.flush()
    session.expire(live)
    sets = live_answers.copy_round(session, live.id, checkpoint.id)
    record(
        session,
        actor,
        "realtime.checkpoint",
        survey.id,
        {"checkpoint": number, "answer_sets": sets, "answers": answers},
    )
    return number


def due(session: Session, now: dt.datetime) -> list[int]:
    """Ids of the real-time studies whose scheduled checkpoint is due at ``now``."""
    taken = (
        select(Round.checkpoint_of, func.max(Round.closed_at).label("at"))
        .where(Round.checkpoint_of.is_not(None))
        .group_by(Round.checkpoint_of)
        .subquery()
    )
    rows = session.execute(
        select(Survey.id, Survey.realtime, Round.id, Round.opened_at, taken.c.at)
        .join(Round, Round.survey_id == Survey.id)
        .outerjoin(taken, taken.c.checkpoint_of == Round.id)
        .where(Survey.mode == SurveyMode.REALTIME, Round.state == RoundState.OPEN)
    ).all()
    out = []
    for survey_id, settings, live_id, opened_at, at in rows:
        hours = (settings or {}).get("checkpoint_every_hours")
        since = at or opened_at
        if not hours or since is None or as_utc(now) - as_utc(since) < dt.timedelta(hours=hours):
            continue
        last = session.scalar(
            select(Round.revisions)
            .where(Round.checkpoint_of == live_id)
            .order_by(Round.number.desc())
            .limit(1)
        )
        # Nothing answered since the last checkpoint: the next one waits for an answer.
        if last is None or last != live_answers.revisions(session, live_id):
            out.append(survey_id)
    return out


def run_scheduled(now: dt.datetime | None = None) -> int:
    """Take every checkpoint the studies' schedules call for; how many were taken."""
    transactions = Transactions()
    with transactions.read() as session:
        studies = due(session, now or utcnow())
    taken = 0
    for survey_id in studies:
        try:
            snapshot = take(transactions, survey_id, actor=ACTOR)
            log.info("checkpoint of study %d taken: %d answered", survey_id, snapshot.responded)
            taken += 1
        except DomainError as exc:  # closed meanwhile, or another worker took it
            log.info("checkpoint of study %d not taken: %s", survey_id, exc.message)
        except Exception:  # the next pass tries again
            log.exception("scheduled checkpoint of study %d failed", survey_id)
    return taken
