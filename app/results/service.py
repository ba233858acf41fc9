"""What the panel concluded, for the panelists once the study is finished.

Each statement's verdict is that of the last closed round that rated it (a reworded,
split or merged statement is followed by its newer versions, not shown itself): agreed
where that round found consensus, divided otherwise. Figures are the whole panel's and
only where at least k rated the statement (the same k as every breakdown); no group is
named, nothing is per panelist. When the study is finished, each panelist still on the
panel gets one email with a fresh link to their last round, which now opens these results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.mail.outbox import enqueue
from app.models import (
    AccessLink,
    Panelist,
    Round,
    RoundSnapshot,
    RoundState,
    Statement,
    StatementState,
    Survey,
    SurveyState,
    Topic,
)
from app.rounds import links

RESULTS = "results"  # the mail's kind and template


@dataclass(frozen=True)
class Figure:
    """The panel on one criterion: ``None`` figures where fewer than k rated."""

    label: str
    median: float | None
    agree: float | None
    raters: int


@dataclass(frozen=True)
class Verdict:
    key: str
    text: str
    topic: str
    round: int
    figures: list[Figure]


@dataclass(frozen=True)
class StudyResults:
    title: str
    rounds: int
    agreed: list[Verdict]
    divided: list[Verdict]


def of_study(session: Session, survey: Survey, language: str) -> StudyResults:
    """The final verdict on every statement the panel rated, in ``language``."""
    latest: dict[int, tuple[int, dict[str, Any]]] = {}
    rows = session.execute(
        select(Round.number, RoundSnapshot.results)
        .join(RoundSnapshot, RoundSnapshot.round_id == Round.id)
        .where(Round.survey_id == survey.id, Round.state == RoundState.CLOSED)
        .order_by(Round.number)
    ).all()
    for number, results in rows:
        for entry in results["statements"]:
            latest[int(entry["statement_id"])] = (number, entry)
    statements = session.execute(
        select(Statement, Topic)
        .join(Topic, Topic.id == Statement.topic_id)
        .where(Statement.id.in_(latest), Statement.state != StatementState.SUPERSEDED)
        .order_by(Topic.position, Statement.position)
    ).all()
    labels = {c.key: survey.text(c.label, language) for c in survey.criteria}
    agreed: list[Verdict] = []
    divided: list[Verdict] = []
    for statement, topic in statements:
        number, entry = latest[statement.id]
        verdict = Verdict(
            key=statement.key,
            text=survey.text(statement.text, language),
            topic=survey.text(topic.title, language),
            round=number,
            figures=[
                _figure(labels.get(key, key), record, survey.min_group_size)
                for key, record in entry["criteria"].items()
            ],
        )
        (agreed if entry["outcome"] == "consensus" else divided).append(verdict)
    return StudyResults(survey.text(survey.title, language), len(rows), agreed, divided)


def _figure(label: str, record: dict[str, Any], k: int) -> Figure:
    n = int(record["n"])
    if n < k:
        return Figure(label, None, None, n)
    return Figure(label, record["median"], record["agree"], n)


def for_finished(session: Session, survey_id: int, language: str) -> StudyResults | None:
    """The results of study ``survey_id`` if it is finished; ``None`` while it goes on."""
    survey = session.get(Survey, survey_id)
    if survey is None or survey.state != SurveyState.FINISHED:
        return None
    return of_study(session, survey, language)


def opens_results(session: Session, link: AccessLink, round_: Round) -> bool:
    """Whether ``link`` (to closed ``round_``) is its panelist's last link of a finished
    study: the last round they were invited to, in a study marked finished."""
    state = session.scalar(select(Survey.state).where(Survey.id == round_.survey_id))
    if state != SurveyState.FINISHED or round_.state != RoundState.CLOSED:
        return False
    last = session.scalar(
        select(func.max(Round.number))
        .join(AccessLink, AccessLink.round_id == Round.id)
        .where(Round.survey_id == round_.survey_id, AccessLink.panelist_id == link.panelist_id)
    )
    return last == round_.number


def announce(session: Session, survey: Survey) -> int:
    """Queue the results mail to each panelist still on the panel who was ever invited,
    with a fresh link to the last round they were invited to; how many were queued."""
    last_round = (
        select(AccessLink.panelist_id, func.max(Round.number).label("number"))
        .join(Round, Round.id == AccessLink.round_id)
        .where(Round.survey_id == survey.id)
        .group_by(AccessLink.panelist_id)
        .subquery()
    )
    found = session.execute(
        select(Panelist, Round)
        .join(last_round, last_round.c.panelist_id == Panelist.id)
        .join(Round, (Round.survey_id == survey.id) & (Round.number == last_round.c.number))
        .where(Panelist.removed_at.is_(None), Panelist.email.is_not(None))
        .order_by(Panelist.id)
    ).all()
    for panelist, round_ in found:
        assert panelist.email is not None  # the query says so
        enqueue(
            session,
            kind=RESULTS,
            to_address=panelist.email,
            language=panelist.language,
            template=RESULTS,
            context={
                "name": panelist.name,
                "survey_title": survey.text(survey.title, panelist.language),
            },
            link=links.mint(session, round_, panelist),
            # No round: the worker drops the mail of a closed round, and this one is meant
            # to go after the last round has closed.
            panelist_id=panelist.id,
        )
    return len(found)
