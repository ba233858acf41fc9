"""The round lifecycle: launch, remind, close."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.analysis import plan as analysis_plan
from app.audit import record
from app.db import Transactions
from app.errors import N_, Conflict, N_plural, NotFound, Say
from app.models import (
    AccessLink,
    Panelist,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Statement,
    StatementState,
    Survey,
    SurveyState,
)
from app.models.base import utcnow
from app.panel.service import list_for
from app.results import service as results
from app.rounds import deadlines, invitations, links, repository, snapshot
from app.schedule import plan
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


# What a round's state is called in a message (the catalogs already hold these words).
STATE_WORDS: dict[RoundState, str] = {
    RoundState.DRAFT: N_("draft"),
    RoundState.OPEN: N_("open"),
    RoundState.CLOSED: N_("closed"),
}


def get_or_raise(session: Session, survey: Survey, number: int) -> Round:
    round_ = repository.by_number(session, survey, number)
    if round_ is None:
        raise NotFound(N_("study %(key)r has no round %(number)s"), key=survey.key, number=number)
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
    here, so an SMTP outage cannot stop a launch. The round's scheduled reminders are
    written too (the worker sends them, and closes the round at its deadline).
    """
    # Two launches (or a launch and a finish) at once: the second waits here for the
    # first to commit, then sees its round and is refused below.
    if _lock(session, survey) == SurveyState.FINISHED:
        raise Conflict(N_("study %(key)r is finished"), key=survey.key)
    if repository.open_round(session, survey) is not None:
        raise Conflict(
            N_("study %(key)r already has an open round; close it first"), key=survey.key
        )
    previous = repository.latest(session, survey)
    if survey.is_realtime and (previous is not None or proposals_only):
        raise Conflict(
            N_(
                "study %(key)r is real-time: it opens once, and checkpoints take the "
                "place of rounds"
            ),
            key=survey.key,
        )
    number = _next_number(survey, previous, proposals_only)
    statements = [] if proposals_only else _statements_to_rate(session, survey)
    panel = list_for(session, survey)
    if not panel:
        raise Conflict(N_("study %(key)r has no panel; import panelists first"), key=survey.key)
    if deadline is not None:
        deadlines.check_future(deadline)
    if previous is not None and not survey.reinvite_non_responders:
        panel = _responders(session, survey, previous, panel)
        if not panel:
            raise Conflict(
                N_(
                    "nobody submitted round %(number)s, and the study does not "
                    "re-invite non-responders: there is nobody to invite"
                ),
                number=previous.number,
            )
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
        raise Conflict(
            N_("round %(number)s of study %(key)r already exists"), number=number, key=survey.key
        ) from exc
    invitations.send_all(session, survey, round_, panel, invitations.INVITATION)
    plan.plan(session, survey, round_)
    if not proposals_only:
        # Round 1 fixes the definitions the results are judged by (once; later: amend).
        analysis_plan.freeze(session, survey, actor=actor)
    record(
        session,
        actor,
        "round.launch",
        survey.id,
        {"round": number, "statements": len(statements), "invited": len(panel)},
    )
    return round_


def _responders(
    session: Session, survey: Survey, previous: Round, panel: list[Panelist]
) -> list[Panelist]:
    """Those of ``panel`` who submitted ``previous``, and those never invited before.

    Found through the pseudonyms (``respondent_key``), as reminders are: nothing joining
    panelists to answers is stored. The invitation list of the new round does say who
    answered the previous one; that is what the study asked for.
    """
    keys = invitations.submitted_keys(session, previous)
    earlier = set(
        session.scalars(
            select(AccessLink.panelist_id)
            .join(Round, Round.id == AccessLink.round_id)
            .where(Round.survey_id == survey.id)
        )
    )
    return [p for p in panel if p.id not in earlier or invitations.has_submitted(keys, p)]


def _next_number(survey: Survey, previous: Round | None, proposals_only: bool) -> int:
    """The number the next round gets: 0 for a round of proposals, else the next."""
    if proposals_only:
        if previous is not None:
            raise Conflict(
                N_(
                    "study %(key)r already has round %(number)s; a round of "
                    "proposals (round 0) can only open a study"
                ),
                key=survey.key,
                number=previous.number,
            )
        return 0
    number = previous.number + 1 if previous else 1
    if number > survey.max_rounds:
        raise Conflict(
            N_plural(
                "study %(key)r has reached its maximum of %(most)s round",
                "study %(key)r has reached its maximum of %(most)s rounds",
                "most",
            ),
            key=survey.key,
            most=survey.max_rounds,
        )
    return number


def _statements_to_rate(session: Session, survey: Survey) -> list[Statement]:
    """The active statements, once every changed one has all its translations."""
    chosen = statements.for_next_round(session, survey)
    if not chosen:
        raise Conflict(N_("study %(key)r has no statements left to rate"), key=survey.key)
    statements.ensure_translated(session, survey)
    return chosen


def _lock(session: Session, survey: Survey) -> SurveyState | None:
    """Lock the study's row until the transaction ends; its state as of now."""
    # NO KEY UPDATE: rows that merely reference the study (panelists, respondents, the
    # audit trail) can still be inserted meanwhile, so answers never wait for a launch.
    return session.scalar(
        select(Survey.state).where(Survey.id == survey.id).with_for_update(key_share=True)
    )


def remind(session: Session, survey: Survey, round_: Round, *, actor: str) -> int:
    """Queue a reminder, with a fresh link, to each invited panelist who has not submitted.

    Every invited panelist gets a fresh link, reminded or not, so the panel-side tables
    (links and their dates) do not record who had not submitted on the day of the reminder.
    """
    # FOR SHARE, as an answer does: a concurrent close() either waits or has committed.
    invitations.lock_open(session, round_)
    submitted = invitations.submitted_keys(session, round_)
    invited = links.invited(session, round_)
    # Minted for all in panel order, so the links' ids do not sort who had answered.
    urls = links.mint_all(session, round_, invited)
    waiting = [
        (panelist, url)
        for panelist, url in zip(invited, urls, strict=True)
        if not invitations.has_submitted(submitted, panelist)
    ]
    count = invitations.queue_all(session, survey, round_, waiting, invitations.REMINDER)
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
            raise Conflict(
                N_("round %(number)s is %(state)s, not closed"),
                number=number,
                state=Say(STATE_WORDS[round_.state]),
            )
        result = snapshot.compute(session, survey, round_)
    with transactions.write() as session:
        survey, round_ = _load(session, survey_id, number)
        return store(session, survey, round_, result)


def _load(session: Session, survey_id: int, number: int) -> tuple[Survey, Round]:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(N_("no such study"))
    return survey, get_or_raise(session, survey, number)


def mark_closed(session: Session, survey: Survey, round_: Round, *, actor: str) -> None:
    """Stop the round accepting answers; of two closes at once, the second is refused."""
    if round_.state != RoundState.OPEN:
        raise Conflict(
            N_("round %(number)s is %(state)s, not open"),
            number=round_.number,
            state=Say(STATE_WORDS[round_.state]),
        )
    closing = session.execute(
        update(Round)
        .where(Round.id == round_.id, Round.state == RoundState.OPEN)
        .values(state=RoundState.CLOSED, closed_at=utcnow())
    )
    if cast(CursorResult[Any], closing).rowcount != 1:
        raise Conflict(N_("round %(number)s is already closed"), number=round_.number)
    # Its unsent invitations and reminders would bring links that no longer work.
    plan.round_closed(session, round_.id)
    record(session, actor, "round.close", survey.id, {"round": round_.number})


def store(session: Session, survey: Survey, round_: Round, result: RoundSnapshot) -> RoundSnapshot:
    """Store a closed round's snapshot and mark the statements it settles."""
    try:
        with session.begin_nested():
            session.add(result)
    except IntegrityError as exc:  # a concurrent complete() got there first
        raise Conflict(
            N_("round %(number)s already has its results"), number=round_.number
        ) from exc
    # A real-time study has checkpoints, not a last round.
    last_round = not survey.is_realtime and round_.number >= survey.max_rounds
    settled: dict[StatementState, list[int]] = {
        StatementState.CONSENSUS: [],
        StatementState.DROPPED: [],
    }
    for entry in result.results["statements"]:
        if entry["outcome"] == "consensus":
            settled[StatementState.CONSENSUS].append(entry["statement_id"])
        elif entry["outcome"] == "stable" or last_round:
            settled[StatementState.DROPPED].append(entry["statement_id"])
    for state, ids in settled.items():
        if ids:
            session.execute(update(Statement).where(Statement.id.in_(ids)).values(state=state))
    session.flush()
    return result


def finish(session: Session, survey: Survey, *, actor: str) -> int:
    """Mark the study finished (no round can be launched afterwards) and tell the panel
    that its results are ready; how many panelists are told."""
    if _lock(session, survey) == SurveyState.FINISHED:
        raise Conflict(N_("study %(key)r is finished already"), key=survey.key)
    if repository.open_round(session, survey) is not None:
        raise Conflict(N_("close the open round before finishing the study"))

    survey.state = SurveyState.FINISHED
    told = results.announce(session, survey)
    record(session, actor, "survey.finish", survey.id, {"told": told})
    return told
