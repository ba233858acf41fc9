"""Answering a round: the link exchange, the questionnaire, drafts and submissions.

A panelist answers as their Respondent (a pseudonym found by HMAC, created on the first
save). Every date written about an answer is a day, never a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from gettext import NullTranslations
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import i18n
from app.answers import service as answers_store
from app.answers.cells import Layout
from app.answers.sheet import AnswerSheet, Cell
from app.models import (
    AccessLink,
    Criterion,
    Panelist,
    Round,
    RoundItem,
    RoundState,
    Survey,
)
from app.models.base import utcnow
from app.models.survey import Translations
from app.panel import respondents
from app.participation import feedback
from app.participation.schemas import CANNOT_JUDGE, Posted, rating_field, reason_field
from app.rounds import links


@dataclass(frozen=True)
class Participant:
    """Who is answering which round, as established by their link."""

    link: AccessLink
    panelist: Panelist
    round: Round
    survey: Survey

    @property
    def language(self) -> str:
        language = self.panelist.language
        return language if language in self.survey.languages else self.survey.default_language

    @property
    def translations(self) -> NullTranslations:
        """The panelist pages' phrases in this panelist's language."""
        return i18n.translations(self.language)

    @property
    def is_open(self) -> bool:
        """Open, and its deadline (if any) not yet passed."""
        return self.round.state == RoundState.OPEN and not past_deadline(self.round)

    @property
    def layout(self) -> Layout:
        return answers_store.layout_of(self.round, self.survey.criteria)

    def text(self, translations: Translations) -> str:
        return self.survey.text(translations, self.language)


def past_deadline(round_: Round) -> bool:
    """Whether ``round_``'s deadline has passed (the worker closes it within a minute)."""
    deadline = _deadline(round_)
    return deadline is not None and deadline <= utcnow()


def exchange(session: Session, token: str) -> AccessLink | None:
    """The link a token stands for if its round is open; ``None`` for every other case."""
    link = links.resolve(session, token)
    if link is None:
        return None
    round_ = session.get(Round, link.round_id)
    if round_ is None or round_.state != RoundState.OPEN or past_deadline(round_):
        return None
    return link


def participant(session: Session, link_id: object) -> Participant | None:
    """Load the participant behind a session's link id (``None`` if it no longer exists)."""
    if not isinstance(link_id, int):
        return None
    link = session.get(AccessLink, link_id)
    if link is None:
        return None
    panelist = session.get(Panelist, link.panelist_id)
    round_ = session.get(
        Round,
        link.round_id,
        options=[selectinload(Round.items).joinedload(RoundItem.statement)],
    )
    if panelist is None or round_ is None:
        return None
    survey = session.get(Survey, round_.survey_id)
    if survey is None:
        return None
    return Participant(link=link, panelist=panelist, round=round_, survey=survey)


# ------------------------------------------------------------------ the questionnaire


@dataclass(frozen=True)
class Point:
    value: str
    label: str
    anchor: str | None = None


@dataclass(frozen=True)
class Question:
    """One criterion of one statement: a radio group."""

    name: str
    label: str
    hint: str
    points: list[Point]
    selected: str | None
    error: str | None

    @property
    def first_id(self) -> str:
        """The id of the first radio, which the error summary links to."""
        return f"{self.name}-{self.points[0].value}"


@dataclass(frozen=True)
class Item:
    """One statement with its questions, reason box and last round's feedback."""

    statement_id: int
    number: int
    text: str
    questions: list[Question]
    reason_name: str
    reason: str
    reason_if_outside: bool
    reason_prompts: list[str]
    reason_error: str | None
    feedback: feedback.StatementFeedback | None

    @property
    def answered(self) -> bool:
        return all(q.selected is not None for q in self.questions)


@dataclass(frozen=True)
class Section:
    title: str
    items: list[Item]


@dataclass(frozen=True)
class FieldError:
    target: str
    message: str


@dataclass(frozen=True)
class Questionnaire:
    survey_title: str
    round_number: int
    deadline: dt.datetime | None
    sections: list[Section]
    submitted_on: dt.date | None
    pending_changes: bool
    errors: list[FieldError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(item.answered for s in self.sections for item in s.items)


def questionnaire(
    session: Session,
    who: Participant,
    answers: AnswerSheet | None = None,
    errors: dict[str, str] | None = None,
) -> Questionnaire:
    """The round's questionnaire for ``who``.

    Prefilled from ``answers`` (a rejected post), else the draft, else what they submitted.
    """
    respondent = respondents.find(session, who.panelist)
    stored = answers_store.load(
        session, who.round.id, respondent.id if respondent else None, who.layout
    )
    if answers is None:
        answers = stored.working
    errors = errors or {}
    previous = feedback.previous_round(session, who.round)
    ranges = feedback.middle_ranges(previous, who.survey)
    statement_ids = [item.statement_id for item in who.round.items]
    feedbacks = feedback.build(
        session, who.survey, previous, statement_ids, respondent, who.language
    )
    criteria = who.survey.criteria
    by_topic: dict[int, list[Item]] = {}
    for number_, round_item in _numbered(who):
        statement = round_item.statement
        sid = statement.id
        questions = [
            Question(
                name=rating_field(sid, c.id),
                label=who.text(c.label),
                hint=who.text(c.question),
                points=_points(who, c),
                selected=answers.value(sid, c.id),
                error=errors.get(rating_field(sid, c.id)),
            )
            for c in criteria
        ]
        by_topic.setdefault(statement.topic_id, []).append(
            Item(
                statement_id=sid,
                number=number_,
                text=who.text(statement.text),
                questions=questions,
                reason_name=reason_field(sid),
                reason=answers.reasons.get(sid, ""),
                reason_if_outside=any((sid, c.id) in ranges for c in criteria),
                reason_prompts=[
                    _reason_prompt(who, c, lo, hi)
                    for c, (lo, hi) in _outside(answers, ranges, sid, criteria)
                ],
                reason_error=errors.get(reason_field(sid)),
                feedback=feedbacks.get(sid),
            )
        )
    sections = [
        Section(title=who.text(topic.title), items=by_topic[topic.id])
        for topic in who.survey.topics
        if topic.id in by_topic
    ]
    submitted_on = stored.submission.submitted_on if stored.submission else None
    return Questionnaire(
        survey_title=who.text(who.survey.title),
        round_number=who.round.number,
        deadline=_deadline(who.round),
        sections=sections,
        submitted_on=submitted_on,
        pending_changes=stored.pending_changes,
        errors=[
            FieldError(target=_target(name, sections), message=message)
            for name, message in errors.items()
        ],
    )


def _numbered(who: Participant) -> list[tuple[int, RoundItem]]:
    """The round's statements in page order (by topic), numbered as the panelist sees them."""
    topic_order = {topic.id: topic.position for topic in who.survey.topics}
    items = sorted(who.round.items, key=lambda i: (topic_order[i.statement.topic_id], i.position))
    return list(enumerate(items, start=1))


def _points(who: Participant, criterion: Criterion) -> list[Point]:
    anchors = criterion.anchors
    points = [
        Point(
            value=str(p),
            label=str(p),
            anchor=who.text(anchors[str(p)]) if str(p) in anchors else None,
        )
        for p in criterion.points
    ]
    cannot_judge = who.translations.gettext("Cannot judge")
    return [*points, Point(value=CANNOT_JUDGE, label=cannot_judge)]


def _reason_prompt(who: Participant, criterion: Criterion, low: float, high: float) -> str:
    return who.translations.gettext(
        "Your %(criterion)s rating is outside the range where the middle half of the panel "
        "rated last round (%(q1)s to %(q3)s). Please give a reason before you submit."
    ) % {
        "criterion": who.text(criterion.label),
        "q1": i18n.format_decimal(low, who.language),
        "q3": i18n.format_decimal(high, who.language),
    }


def _deadline(round_: Round) -> dt.datetime | None:
    deadline = round_.deadline
    if deadline is None:
        return None
    # SQLite hands back naive datetimes; everything is stored in UTC, and shown in UTC.
    if deadline.tzinfo is None:
        return deadline.replace(tzinfo=dt.UTC)
    return deadline.astimezone(dt.UTC)


def _target(name: str, sections: list[Section]) -> str:
    """The element id an error summary entry links to: the first radio, or the textarea."""
    for section in sections:
        for item in section.items:
            for question in item.questions:
                if question.name == name:
                    return question.first_id
    return name


def _outside(
    answers: AnswerSheet,
    ranges: dict[Cell, tuple[float, float]],
    statement_id: int,
    criteria: list[Criterion],
) -> list[tuple[Criterion, tuple[float, float]]]:
    """The criteria on which the rating falls outside last round's middle range."""
    outside = []
    for criterion in criteria:
        cell = (statement_id, criterion.id)
        rating = answers.ratings.get(cell)
        if cell in ranges and rating is not None:
            low, high = ranges[cell]
            if not low <= rating <= high:
                outside.append((criterion, (low, high)))
    return outside


# ----------------------------------------------------------------- saving and submitting


@dataclass(frozen=True)
class Outcome:
    """What became of a posted questionnaire; ``errors`` maps field names to messages."""

    status: Literal["saved", "submitted", "incomplete", "closed"]
    errors: dict[str, str] = field(default_factory=dict)


def answer(session: Session, who: Participant, posted: Posted) -> Outcome:
    """Save or submit ``posted``; nothing the panelist typed is ever dropped.

    A late post (the round closed meanwhile) is kept as the draft, merged over the
    existing one; an incomplete submit is saved as the draft with the problems listed.
    """
    # One answer at a time per panelist (a double click, two tabs): the answer sets are
    # replaced by delete and insert, which two transactions must not interleave. NO KEY
    # UPDATE leaves rows that reference the panelist (a reminder's new link) insertable.
    session.execute(
        select(Panelist.id).where(Panelist.id == who.panelist.id).with_for_update(key_share=True)
    )
    # FOR SHARE: a concurrent close() waits for this transaction (or this one sees the
    # round closed), so no answer is counted as submitted after the snapshot was taken.
    # SQLite ignores both locks; there every transaction holds the database's write lock
    # from its first statement (see app.db), which serialises the same way.
    state = session.scalar(
        select(Round.state).where(Round.id == who.round.id).with_for_update(read=True)
    )
    if state != RoundState.OPEN or past_deadline(who.round):
        keep_late_answers(session, who, posted.answers)
        return Outcome("closed")
    if posted.action == "save":
        save_draft(session, who, posted.answers)
        return Outcome("saved")
    errors = submit(session, who, posted.answers)
    return Outcome("incomplete", errors) if errors else Outcome("submitted")


def save_draft(session: Session, who: Participant, answers: AnswerSheet) -> None:
    """Replace the panelist's draft with ``answers``."""
    respondent = respondents.find_or_create(session, who.panelist)
    answers_store.save_draft(session, who.round.id, respondent.id, who.layout, answers)


def submit(session: Session, who: Participant, answers: AnswerSheet) -> dict[str, str]:
    """Submit ``answers`` if complete, replacing any earlier submission; else keep them as
    the draft and return the problems by field name."""
    errors = problems(session, who, answers)
    if errors:
        save_draft(session, who, answers)
        return errors
    respondent = respondents.find_or_create(session, who.panelist)
    answers_store.submit(
        session, who.round.id, respondent.id, who.layout, answers, language=who.language
    )
    return {}


def keep_late_answers(session: Session, who: Participant, answers: AnswerSheet) -> None:
    """After the round closed: merge ``answers`` into the draft; it no longer counts."""
    respondent = respondents.find_or_create(session, who.panelist)
    stored = answers_store.load(session, who.round.id, respondent.id, who.layout)
    answers_store.save_draft(
        session, who.round.id, respondent.id, who.layout, stored.working.overlay(answers)
    )


def problems(session: Session, who: Participant, answers: AnswerSheet) -> dict[str, str]:
    """Why ``answers`` cannot be submitted: unrated cells and missing required reasons."""
    gettext = who.translations.gettext
    ranges = feedback.middle_ranges(feedback.previous_round(session, who.round), who.survey)
    errors: dict[str, str] = {}
    for number_, item in _numbered(who):
        sid = item.statement_id
        for criterion in who.survey.criteria:
            if (sid, criterion.id) not in answers.ratings:
                errors[rating_field(sid, criterion.id)] = gettext(
                    "Statement %(number)s: choose a rating for %(criterion)s, or “Cannot judge”"
                ) % {"number": number_, "criterion": who.text(criterion.label)}
        outside = _outside(answers, ranges, sid, who.survey.criteria)
        if outside and not answers.reasons.get(sid):
            criterion, (low, high) = outside[0]
            errors[reason_field(sid)] = gettext(
                "Statement %(number)s: give a reason, because your %(criterion)s rating is "
                "outside last round’s middle range (%(q1)s to %(q3)s)"
            ) % {
                "number": number_,
                "criterion": who.text(criterion.label),
                "q1": i18n.format_decimal(low, who.language),
                "q3": i18n.format_decimal(high, who.language),
            }
    return errors
