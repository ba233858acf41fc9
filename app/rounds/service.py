"""The round lifecycle: launch, remind, close."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import Conflict, NotFound
from app.mail.outbox import enqueue
from app.models import (
    Panelist,
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
from app.panel import respondents
from app.panel.service import list_for
from app.rounds import links, repository, snapshot


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
    session: Session, survey: Survey, *, deadline: dt.datetime | None = None, actor: str
) -> Round:
    """Open the next round: freeze its statements, mint links, queue invitations.

    Everything happens in the caller's transaction, so a failure leaves no half-launched
    round; mail is only queued here, so an SMTP outage cannot stop a launch.
    """
    if survey.state == SurveyState.FINISHED:
        raise Conflict(f"study {survey.key!r} is finished")
    if repository.open_round(session, survey) is not None:
        raise Conflict(f"study {survey.key!r} already has an open round; close it first")
    previous = repository.latest(session, survey)
    number = previous.number + 1 if previous else 1
    max_rounds = int(survey.stopping.get("max_rounds", 3))
    if number > max_rounds:
        raise Conflict(f"study {survey.key!r} has reached its maximum of {max_rounds} rounds")
    statements = list(
        session.scalars(
            select(Statement)
            .where(Statement.survey_id == survey.id, Statement.state == StatementState.ACTIVE)
            .order_by(Statement.position, Statement.id)
        )
    )
    if not statements:
        raise Conflict(f"study {survey.key!r} has no statements left to rate")
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
    session.add(round_)
    session.flush()
    for panelist in panel:
        _invite(session, survey, round_, panelist, kind="invitation")
    record(
        session,
        actor,
        "round.launch",
        survey.id,
        {"round": number, "statements": len(statements), "invited": len(panel)},
    )
    return round_


def _invite(session: Session, survey: Survey, round_: Round, panelist: Panelist, kind: str) -> None:
    link = links.mint(session, round_, panelist)
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
    """Queue a reminder, with a fresh link, to each panelist who has not submitted."""
    if round_.state != RoundState.OPEN:
        raise Conflict(f"round {round_.number} is not open")
    submitted = set(
        session.scalars(
            select(Submission.respondent_id).where(
                Submission.round_id == round_.id, Submission.submitted_on.is_not(None)
            )
        )
    )
    count = 0
    for panelist in list_for(session, survey):
        respondent = respondents.find(session, panelist)
        if respondent is None or respondent.id not in submitted:
            _invite(session, survey, round_, panelist, kind="reminder")
            count += 1
    record(session, actor, "round.remind", survey.id, {"round": round_.number, "reminded": count})
    return count


def close(session: Session, survey: Survey, round_: Round, *, actor: str) -> RoundSnapshot:
    """Stop accepting answers, compute and store the snapshot, mark consensus."""
    if round_.state != RoundState.OPEN:
        raise Conflict(f"round {round_.number} is {round_.state.value}, not open")
    round_.state = RoundState.CLOSED
    round_.closed_at = utcnow()
    session.flush()
    result = snapshot.compute(session, survey, round_)
    session.add(result)
    last_round = round_.number >= int(survey.stopping.get("max_rounds", 3))
    outcomes = {s["statement_id"]: s["outcome"] for s in result.results["statements"]}
    for item in round_.items:
        outcome = outcomes[item.statement_id]
        if outcome == "consensus":
            item.statement.state = StatementState.CONSENSUS
        elif outcome == "stable" or last_round:
            item.statement.state = StatementState.DROPPED
    session.flush()
    record(
        session,
        actor,
        "round.close",
        survey.id,
        {"round": round_.number, "responded": result.responded},
    )
    return result


def finish(session: Session, survey: Survey, *, actor: str) -> None:
    if repository.open_round(session, survey) is not None:
        raise Conflict("close the open round before finishing the study")
    survey.state = SurveyState.FINISHED
    record(session, actor, "survey.finish", survey.id)
