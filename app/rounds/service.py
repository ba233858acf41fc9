"""The round lifecycle: launch, remind, close."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import record
from app.db import Transactions
from app.errors import Conflict, NotFound
from app.mail.outbox import enqueue
from app.models import (
    Panelist,
    Respondent,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Statement,
    StatementState,
    Submission,
    Survey,
    SurveyState,
)
from app.models.base import utcnow
from app.panel.service import list_for
from app.rounds import links, repository, snapshot
from app.security import respondent_key
from app.statements import service as statements


@dataclass(frozen=True)
class RoundStatus:
    round: Round
    invited: int
    started: int
    submitted: int

    @property
    def response_rate(self) -> float:
        return self.submitted / self.invited if self.invited else 0.0


def get_or_raise(session: Session, survey: Survey, number: int) -> Round:
    round_ = repository.by_number(session, survey, number)
    if round_ is None:
        raise NotFound(f"study {survey.key!r} has no round {number}")
    return round_


def status(session: Session, round_: Round) -> RoundStatus:
    return RoundStatus(
        round=round_,
        invited=repository.invited_count(session, round_),
        started=repository.started_count(session, round_),
        submitted=repository.submitted_count(session, round_),
    )


def launch(
    session: Session,
    survey: Survey,
    *,
    deadline: dt.datetime | None = None,
    actor: str,
    proposals_only: bool = False,
) -> Round:
    """Open the next round: freeze its statements, mint links, queue invitations.

    ``proposals_only`` opens round 0 instead, where panelists propose statements and
    rate nothing; only a study without rounds can have one. Everything happens in the
    caller's transaction, so a failure leaves no half-launched round; mail is only queued
    here, so an SMTP outage cannot stop a launch.
    """
    # Two launches (or a launch and a finish) at once: the second waits here for the
    # first to commit, then sees its round and is refused below.
    if _lock(session, survey) == SurveyState.FINISHED:
        raise Conflict(f"study {survey.key!r} is finished")
    if repository.open_round(session, survey) is not None:
        raise Conflict(f"study {survey.key!r} already has an open round; close it first")
    previous = repository.latest(session, survey)
    number = _next_number(survey, previous, proposals_only)
    statements = [] if proposals_only else _statements_to_rate(session, survey)
    panel = list_for(session, survey)
    if not panel:
        raise Conflict(f"study {survey.key!r} has no panel; import panelists first")
    if deadline is not None and deadline <= utcnow():
        raise Conflict("the deadline must be in the future")
    round_ = Round(
        survey_id=survey.id,
        number=number,
        state=RoundState.OPEN,
        deadline=deadline,
        opened_at=utcnow(),
    )
    round_.items = [RoundItem(statement=s, position=i) for i, s in enumerate(statements)]
    try:
        with session.begin_nested():
            session.add(round_)
    except IntegrityError as exc:  # the lock above makes this unreachable, short of a bug
        raise Conflict(f"round {number} of study {survey.key!r} already exists") from exc
    for panelist in panel:
        link = links.mint(session, round_, panelist)
        _queue(session, survey, round_, panelist, link, "invitation")
    record(
        session,
        actor,
        "round.launch",
        survey.id,
        {"round": number, "statements": len(statements), "invited": len(panel)},
    )
    return round_


def _next_number(survey: Survey, previous: Round | None, proposals_only: bool) -> int:
    """The number the next round gets: 0 for a round of proposals, else the next."""
    if proposals_only:
        if previous is not None:
            raise Conflict(
                f"study {survey.key!r} already has round {previous.number}; a round of "
                "proposals (round 0) can only open a study"
            )
        return 0
    number = previous.number + 1 if previous else 1
    if number > survey.max_rounds:
        raise Conflict(
            f"study {survey.key!r} has reached its maximum of {survey.max_rounds} rounds"
        )
    return number


def _statements_to_rate(session: Session, survey: Survey) -> list[Statement]:
    """The active statements, once every changed one has all its translations."""
    chosen = statements.for_next_round(session, survey)
    if not chosen:
        raise Conflict(f"study {survey.key!r} has no statements left to rate")
    statements.ensure_translated(session, survey)
    return chosen


def _lock(session: Session, survey: Survey) -> SurveyState | None:
    """Lock the study's row until the transaction ends; its state as of now."""
    # NO KEY UPDATE: rows that merely reference the study (panelists, respondents, the
    # audit trail) can still be inserted meanwhile, so answers never wait for a launch.
    return session.scalar(
        select(Survey.state).where(Survey.id == survey.id).with_for_update(key_share=True)
    )


def _queue(
    session: Session, survey: Survey, round_: Round, panelist: Panelist, link: str, kind: str
) -> None:
    enqueue(
        session,
        kind=kind,
        to_address=panelist.email,
        language=panelist.language,
        template=kind,
        context={
            "name": panelist.name,
            "survey_title": survey.text(survey.title, panelist.language),
            "round_number": round_.number,
            "statements": len(round_.items),
            "deadline": round_.deadline.date().isoformat() if round_.deadline else None,
        },
        link=link,
    )


def remind(session: Session, survey: Survey, round_: Round, *, actor: str) -> int:
    """Queue a reminder, with a fresh link, to each panelist who has not submitted.

    Every panelist gets a fresh link, reminded or not, so the panel-side tables (links
    and their dates) do not record who had not submitted on the day of the reminder.
    """
    # FOR SHARE, as an answer does: a concurrent close() either waits or has committed.
    state = session.scalar(
        select(Round.state).where(Round.id == round_.id).with_for_update(read=True)
    )
    if state != RoundState.OPEN:
        raise Conflict(f"round {round_.number} is not open")
    submitted = set(
        session.scalars(
            select(Respondent.key)
            .join(Submission, Submission.respondent_id == Respondent.id)
            .where(Submission.round_id == round_.id, Submission.submitted_on.is_not(None))
        )
    )
    count = 0
    for panelist in list_for(session, survey):
        link = links.mint(session, round_, panelist)
        if respondent_key(survey.id, panelist.id) not in submitted:
            _queue(session, survey, round_, panelist, link, "reminder")
            count += 1
    record(session, actor, "round.remind", survey.id, {"round": round_.number, "reminded": count})
    return count


def close(session: Session, survey: Survey, round_: Round, *, actor: str) -> RoundSnapshot:
    """Stop accepting answers, compute and store the snapshot, mark consensus: all in the
    caller's transaction (see :func:`close_promptly` for closing while panelists answer).

    The round is closed by a conditional UPDATE before anything is computed: it waits for
    answers in flight (they hold the round's row FOR SHARE), and of two closes at once
    only one finds the round still open.
    """
    mark_closed(session, survey, round_, actor=actor)
    return store(session, survey, round_, snapshot.compute(session, survey, round_))


def close_promptly(
    transactions: Transactions, survey_id: int, number: int, *, actor: str
) -> RoundSnapshot:
    """Close round ``number`` in three short transactions of its own.

    1. The round is marked closed (this waits only for answers already in flight; every
       later one is refused with its draft kept). 2. The snapshot is computed from a
       read-only transaction, which on SQLite takes no lock and on PostgreSQL holds none
       that answers need. 3. The snapshot and the statements' new states are stored.
    Panelists therefore wait for none of the computing. A process that dies between 1
    and 3 leaves the round closed without results; :func:`complete` computes them.
    """
    with transactions.write() as session:
        survey, round_ = _load(session, survey_id, number)
        mark_closed(session, survey, round_, actor=actor)
    return complete(transactions, survey_id, number)


def complete(transactions: Transactions, survey_id: int, number: int) -> RoundSnapshot:
    """Compute and store the results of a closed round that has none yet."""
    with transactions.read() as session:
        survey, round_ = _load(session, survey_id, number)
        if round_.state != RoundState.CLOSED:
            raise Conflict(f"round {number} is {round_.state.value}, not closed")
        result = snapshot.compute(session, survey, round_)
    with transactions.write() as session:
        survey, round_ = _load(session, survey_id, number)
        return store(session, survey, round_, result)


def _load(session: Session, survey_id: int, number: int) -> tuple[Survey, Round]:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("no such study")
    return survey, get_or_raise(session, survey, number)


def mark_closed(session: Session, survey: Survey, round_: Round, *, actor: str) -> None:
    """Stop the round accepting answers; of two closes at once, the second is refused."""
    if round_.state != RoundState.OPEN:
        raise Conflict(f"round {round_.number} is {round_.state.value}, not open")
    closing = session.execute(
        update(Round)
        .where(Round.id == round_.id, Round.state == RoundState.OPEN)
        .values(state=RoundState.CLOSED, closed_at=utcnow())
    )
    if cast(CursorResult[Any], closing).rowcount != 1:
        raise Conflict(f"round {round_.number} is already closed")
    record(session, actor, "round.close", survey.id, {"round": round_.number})


def store(session: Session, survey: Survey, round_: Round, result: RoundSnapshot) -> RoundSnapshot:
    """Store a closed round's snapshot and mark the statements it settles."""
    try:
        with session.begin_nested():
            session.add(result)
    except IntegrityError as exc:  # a concurrent complete() got there first
        raise Conflict(f"round {round_.number} already has its results") from exc
    last_round = round_.number >= survey.max_rounds
    outcomes = {s["statement_id"]: s["outcome"] for s in result.results["statements"]}
    for item in round_.items:
        outcome = outcomes[item.statement_id]
        if outcome == "consensus":
            item.statement.state = StatementState.CONSENSUS
        elif outcome == "stable" or last_round:
            item.statement.state = StatementState.DROPPED
    session.flush()
    return result


def finish(session: Session, survey: Survey, *, actor: str) -> None:
    """Mark the study finished; no round can be launched afterwards."""
    _lock(session, survey)
    if repository.open_round(session, survey) is not None:
        raise Conflict("close the open round before finishing the study")
    survey.state = SurveyState.FINISHED
    record(session, actor, "survey.finish", survey.id)
