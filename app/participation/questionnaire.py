"""The questionnaire a participant sees: its pages, questions, feedback and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import i18n
from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet, Cell
from app.models import Survey, SurveyState
from app.participation import feedback
from app.participation.participant import Participant, find_respondent_id, previous_round
from app.participation.schemas import (
    CANNOT_JUDGE,
    PROPOSAL_MAX_LENGTH,
    proposal_field,
    rating_field,
    reason_field,
)
from app.rankings import form as ranking_form
from app.rounds.plan import CriterionInfo, ItemInfo


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
    points: tuple[Point, ...]
    selected: str | None
    error: str | None

    @property
    def first_id(self) -> str:
        """The id of the first radio, which the error summary links to."""
        return f"{self.name}-{self.points[0].value}"


@dataclass(frozen=True)
class Item:
    """One statement with its questions, reason box and last round's feedback.

    ``novelty`` says how a statement new on this round came about (with the earlier
    wordings, in the page's language); ``rated_text`` is the wording the panel rated last
    round when the statement was reworded since.
    """

    statement_id: int
    number: int
    text: str
    questions: list[Question]
    reason_name: str
    reason: str
    reason_if_outside: bool
    reason_checks: tuple[ReasonCheck, ...]
    reason_error: str | None
    feedback: feedback.StatementFeedback | None
    novelty: str | None = None
    earlier: list[str] = field(default_factory=list)
    rated_text: str | None = None
    # The language ``text`` is in: the study's default when it lacks the page's language.
    text_language: str | None = None

    @property
    def answered(self) -> bool:
        return all(q.selected is not None for q in self.questions)

    @property
    def reason_prompts(self) -> list[str]:
        """The prompts of the criteria whose rating falls outside last round's middle range."""
        return [check.prompt for check in self.reason_checks if check.active]


@dataclass(frozen=True)
class ReasonCheck:
    """Last round's middle range on one criterion of a statement, and the prompt shown
    when the rating falls outside it (``active``: it does now). The page's script shows
    the prompt as soon as a rating is chosen; the server checks it again on submit."""

    field: str
    low: float
    high: float
    prompt: str
    active: bool


@dataclass(frozen=True)
class ProposalBox:
    """The "propose a statement" box of one topic."""

    name: str
    topic_title: str
    text: str
    error: str | None
    max_length: int = PROPOSAL_MAX_LENGTH


@dataclass(frozen=True)
class Section:
    title: str
    items: list[Item]
    proposal: ProposalBox | None = None
    rankings: list[ranking_form.RankingForm] = field(default_factory=list)
    title_language: str | None = None


@dataclass(frozen=True)
class FieldError:
    """One problem: the element id it links to, on the topic page ``page`` (1-based)."""

    target: str
    message: str
    page: int = 1


@dataclass(frozen=True)
class Questionnaire:
    """The whole round for one panelist; the pages show one section (topic) at a time."""

    survey_title: str
    round_number: int
    deadline: dt.datetime | None
    sections: list[Section]
    submitted_on: dt.date | None
    pending_changes: bool
    errors: list[FieldError] = field(default_factory=list)
    proposals_only: bool = False
    final_round: bool = False

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(item.answered for s in self.sections for item in s.items)

    def answered_elsewhere(self, page: int) -> int:
        """Statements answered on the other pages than ``page`` (1-based)."""
        return self.answered - sum(item.answered for item in self.sections[page - 1].items)

    @property
    def missing(self) -> list[tuple[int, Item]]:
        """The statements not fully rated yet, with the page they are on."""
        return [
            (page, item)
            for page, section in enumerate(self.sections, start=1)
            for item in section.items
            if not item.answered
        ]


def questionnaire(
    session: Session,
    who: Participant,
    answers: AnswerSheet | None = None,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
    page: int | None = None,
) -> Questionnaire:
    """The round's questionnaire for ``who``.

    Prefilled from ``answers`` (a rejected post), else the draft, else what they submitted;
    ``kept`` holds texts of a rejected post that could not be stored (too long), by field.
    With ``page`` (1-based, the last one if past the end), only that topic page's
    statements carry last round's feedback and reason prompts: a page shows one topic.
    """
    respondent_id = find_respondent_id(session, who)
    stored = answers_store.load(session, who.plan.round_id, respondent_id, who.plan.layout)
    if answers is None:
        answers = stored.working
    errors = errors or {}
    kept = kept or {}
    previous = previous_round(session, who)
    ranges = feedback.middle_ranges(previous, who.plan)
    shown = _shown_items(who, page)
    shown_ids = {item.statement_id for item in shown}
    # This panelist's ratings last round: the charts and the ranking feedback mark them.
    own = (
        answers_store.submitted_ratings(session, previous.round_id, respondent_id, previous.layout)
        if previous is not None and respondent_id is not None
        else {}
    )
    feedbacks = feedback.build(
        session,
        who.survey,
        previous,
        shown,
        respondent_id,
        who.language,
        frozenset(answers.persuasive),
        own,
    )
    criteria = who.survey.criteria
    # The same for every statement: built once per criterion.
    asked = {c.id: (who.text(c.label), who.text(c.question), points_of(who, c)) for c in criteria}
    by_topic: dict[int, list[Item]] = {}
    for statement in who.plan.items:
        sid = statement.statement_id
        questions = [
            Question(
                name=rating_field(sid, c.id),
                label=asked[c.id][0],
                hint=asked[c.id][1],
                points=asked[c.id][2],
                selected=answers.value(sid, c.id),
                error=errors.get(rating_field(sid, c.id)),
            )
            for c in criteria
        ]
        fb = feedbacks.get(sid)
        novel = feedback.novelty(previous, statement)
        by_topic.setdefault(statement.topic_id, []).append(
            Item(
                statement_id=sid,
                number=statement.number,
                text=who.text(statement.text),
                questions=questions,
                reason_name=reason_field(sid),
                reason=kept.get(reason_field(sid), answers.reasons.get(sid, "")),
                reason_if_outside=any((sid, c.id) in ranges for c in criteria),
                reason_checks=(
                    _reason_checks(who, answers, ranges, sid) if sid in shown_ids else ()
                ),
                reason_error=errors.get(reason_field(sid)),
                feedback=fb,
                novelty=novel.origin if novel else None,
                earlier=[who.text(t) for t in novel.earlier] if novel else [],
                rated_text=who.text(fb.rated_text) if fb and fb.rated_text else None,
                text_language=who.text_language(statement.text),
            )
        )
    boxes = {
        topic_id: ProposalBox(
            name=proposal_field(topic_id),
            topic_title=who.text(topic.title),
            text=kept.get(proposal_field(topic_id), answers.proposals.get(topic_id, "")),
            error=errors.get(proposal_field(topic_id)),
        )
        for topic_id in who.proposal_topics
        for topic in who.survey.topics
        if topic.id == topic_id
    }
    rankings: dict[int, list[ranking_form.RankingForm]] = {}
    before = _previous_ranking(who, previous, own)
    for ranking in ranking_form.forms(who.plan, answers, errors, who.text, before):
        rankings.setdefault(ranking.topic_id, []).append(ranking)
    sections = [
        Section(
            title=who.text(topic.title),
            items=by_topic.get(topic.id, []),
            proposal=boxes.get(topic.id),
            rankings=rankings.get(topic.id, []),
            title_language=who.text_language(topic.title),
        )
        for topic in who.survey.topics
        if topic.id in by_topic or topic.id in boxes
    ]
    submitted_on = stored.submission.submitted_on if stored.submission else None
    return Questionnaire(
        survey_title=who.text(who.survey.title),
        round_number=who.round_number,
        deadline=who.deadline,
        sections=sections,
        submitted_on=submitted_on,
        pending_changes=stored.pending_changes,
        errors=[
            FieldError(
                target=_target(name, sections), message=message, page=_page_of(name, sections)
            )
            for name, message in errors.items()
        ],
        proposals_only=who.proposals_only,
        final_round=not who.proposals_only and who.round_number >= who.survey.max_rounds,
    )


def _shown_items(who: Participant, page: int | None) -> Sequence[ItemInfo]:
    """The statements of topic page ``page`` (every statement for ``None``)."""
    if page is None:
        return who.plan.items
    on_pages = pages(who)
    if not on_pages:
        return ()
    return [who.plan.item(sid) for sid in on_pages[min(page, len(on_pages)) - 1].statement_ids]


def _previous_ranking(
    who: Participant, previous: feedback.PreviousRound | None, own: dict[Cell, int | None]
) -> ranking_form.PreviousRanking | None:
    """Last round's ranking figures with this panelist's own positions then."""
    if previous is None or not previous.rankings:
        return None
    return ranking_form.PreviousRanking(
        number=previous.number,
        rankings=previous.rankings,
        own=own,
        min_group_size=who.survey.min_group_size,
    )


def rank_limits(who: Participant) -> dict[Cell, int]:
    """The highest position each ranking field of ``who``'s questionnaire may hold."""
    return ranking_form.position_limits(who.plan)


@dataclass(frozen=True)
class Page:
    """One topic page of the questionnaire: what its form holds."""

    number: int
    topic_id: int
    statement_ids: tuple[int, ...]
    proposal: bool


def pages(who: Participant) -> list[Page]:
    """The questionnaire's topic pages, in order (the sections :func:`questionnaire` builds)."""
    by_topic: dict[int, list[int]] = {}
    for item in who.plan.items:
        by_topic.setdefault(item.topic_id, []).append(item.statement_id)
    boxes = set(who.proposal_topics)
    topics = [t.id for t in who.survey.topics if t.id in by_topic or t.id in boxes]
    return [
        Page(number, topic_id, tuple(by_topic.get(topic_id, ())), topic_id in boxes)
        for number, topic_id in enumerate(topics, start=1)
    ]


def page_answers(
    session: Session, who: Participant, posted: AnswerSheet, page: Page | None
) -> AnswerSheet:
    """The whole round's answers after a post of ``page``: its fields as posted (an empty
    reason or an unmarked reason is cleared), every other page's as stored. ``page`` is
    ``None`` for the summary, which holds no fields."""
    stored = answers_store.load(
        session, who.plan.round_id, find_respondent_id(session, who), who.plan.layout
    ).working
    if page is None:
        return stored.overlay(posted)
    statements = set(page.statement_ids)
    on_page = shown_reasons(session, who, [who.plan.item(sid) for sid in page.statement_ids])
    others = AnswerSheet(
        ratings={cell: v for cell, v in stored.ratings.items() if cell[0] not in statements},
        reasons={sid: text for sid, text in stored.reasons.items() if sid not in statements},
        persuasive={rid for rid in stored.persuasive if rid not in on_page},
        proposals={
            tid: text
            for tid, text in stored.proposals.items()
            if not (page.proposal and tid == page.topic_id)
        },
    )
    return others.overlay(posted)


def study_finished(session: Session, who: Participant) -> bool:
    """Whether the facilitators have finished the study (no round follows)."""
    return session.scalar(select(Survey.state).where(Survey.id == who.survey.id)) == (
        SurveyState.FINISHED
    )


def shown_reasons(
    session: Session, who: Participant, items: Sequence[ItemInfo] | None = None
) -> set[int]:
    """Ids of the previous round's reasons this panelist's questionnaire shows (beside
    ``items`` only, if given)."""
    return feedback.shown_reason_ids(
        session,
        who.survey,
        previous_round(session, who),
        who.plan.items if items is None else items,
        find_respondent_id(session, who),
        who.language,
    )


def points_of(who: Participant, criterion: CriterionInfo) -> tuple[Point, ...]:
    """The radio choices of one criterion: its scale points, then "cannot judge"."""
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
    return (*points, Point(value=CANNOT_JUDGE, label=cannot_judge))


def _reason_prompt(who: Participant, criterion: CriterionInfo, low: float, high: float) -> str:
    return who.translations.gettext(
        "Your %(criterion)s rating is outside the range where the middle half of the panel "
        "rated last round (%(q1)s to %(q3)s). Please give a reason before you submit."
    ) % {
        "criterion": who.text(criterion.label),
        "q1": i18n.format_decimal(low, who.language),
        "q3": i18n.format_decimal(high, who.language),
    }


def _reason_checks(
    who: Participant, answers: AnswerSheet, ranges: dict[Cell, tuple[float, float]], sid: int
) -> tuple[ReasonCheck, ...]:
    outside = {c.id for c, _ in ratings_outside(answers, ranges, sid, who.survey.criteria)}
    return tuple(
        ReasonCheck(
            field=rating_field(sid, c.id),
            low=low,
            high=high,
            prompt=_reason_prompt(who, c, low, high),
            active=c.id in outside,
        )
        for c in who.survey.criteria
        if (sid, c.id) in ranges
        for low, high in [ranges[(sid, c.id)]]
    )


def _page_of(name: str, sections: list[Section]) -> int:
    """The topic page (1-based) that holds the field ``name``."""
    for page, section in enumerate(sections, start=1):
        if section.proposal and section.proposal.name == name:
            return page
        for item in section.items:
            if name == item.reason_name or any(q.name == name for q in item.questions):
                return page
    return 1


def _target(name: str, sections: list[Section]) -> str:
    """The element id an error summary entry links to: the first radio, or the textarea."""
    for section in sections:
        for item in section.items:
            for question in item.questions:
                if question.name == name:
                    return question.first_id
    return name


def ratings_outside(
    answers: AnswerSheet,
    ranges: dict[Cell, tuple[float, float]],
    statement_id: int,
    criteria: tuple[CriterionInfo, ...],
) -> list[tuple[CriterionInfo, tuple[float, float]]]:
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
