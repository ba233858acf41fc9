"""Answering a round: the link exchange, the questionnaire, drafts and submissions.

A panelist answers as their Respondent (a pseudonym found by HMAC, created on the first
save). Every date written about an answer is a day, never a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from gettext import NullTranslations
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import i18n
from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet, Cell
from app.models import AccessLink, Panelist, Round, RoundState, Survey, SurveyState
from app.models.base import utcnow
from app.models.survey import Translations
from app.panel import respondents
from app.participation import feedback
from app.participation.schemas import (
    CANNOT_JUDGE,
    PROPOSAL_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Posted,
    proposal_field,
    rating_field,
    reason_field,
)
from app.proposals import service as proposals_store
from app.rankings import form as ranking_form
from app.results import service as results
from app.rounds import links
from app.rounds.plan import CriterionInfo, ItemInfo, RoundPlan, SurveyInfo, plan_of


@dataclass(frozen=True)
class Participant:
    """Who is answering which round, as established by their link.

    ``plan`` is the round as launched (shared by every request); the rest is this
    panelist's and the round's current state, read on every request.
    """

    link_id: int
    panelist_id: int
    panelist_language: str
    stakeholder_group: str
    round_state: RoundState
    deadline: dt.datetime | None
    plan: RoundPlan

    @property
    def survey(self) -> SurveyInfo:
        return self.plan.survey

    @property
    def round_number(self) -> int:
        return self.plan.number

    @property
    def language(self) -> str:
        language = self.panelist_language
        return language if language in self.survey.languages else self.survey.default_language

    @property
    def translations(self) -> NullTranslations:
        """The panelist pages' phrases in this panelist's language."""
        return i18n.translations(self.language)

    @property
    def proposals_only(self) -> bool:
        """Round 0: panelists propose statements, there is nothing to rate."""
        return self.plan.number == 0

    @property
    def proposal_topics(self) -> tuple[int, ...]:
        """The topics this questionnaire offers a "propose a statement" box for."""
        if self.proposals_only:
            return tuple(t.id for t in self.survey.topics)
        if not self.survey.proposals_in_rounds:
            return ()
        asked = {item.topic_id for item in self.plan.items}
        return tuple(t.id for t in self.survey.topics if t.id in asked)

    @property
    def is_open(self) -> bool:
        """Open, and its deadline (if any) not yet passed."""
        return self.round_state == RoundState.OPEN and not _past(self.deadline)

    def text(self, translations: Translations) -> str:
        return self.survey.text(translations, self.language)

    def text_language(self, translations: Translations) -> str:
        """The language :meth:`text` is shown in: another than the page's is a fallback."""
        return self.survey.text_language(translations, self.language)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    # SQLite hands back naive datetimes; everything is stored in UTC, and shown in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _past(deadline: dt.datetime | None) -> bool:
    return deadline is not None and deadline <= utcnow()


def past_deadline(round_: Round) -> bool:
    """Whether ``round_``'s deadline has passed (the worker closes it within a minute)."""
    return _past(_utc(round_.deadline))


def exchange(session: Session, token: str) -> AccessLink | None:
    """The link a token stands for if its round is open, or if it is the panelist's last
    link of a finished study (it opens the results); ``None`` for every other case."""
    link = links.resolve(session, token)
    if link is None:
        return None
    round_ = session.get(Round, link.round_id)
    if round_ is None:
        return None
    if round_.state == RoundState.OPEN and not past_deadline(round_):
        return link
    return link if results.opens_results(session, link, round_) else None


def language_of(session: Session, link: AccessLink) -> str:
    """The language the panelist behind ``link`` reads (for pages shown without a session)."""
    panelist = session.get(Panelist, link.panelist_id)
    return panelist.language if panelist else i18n.SOURCE_LANGUAGE


def choose_language(session: Session, who: Participant, code: str) -> str:
    """Keep ``code`` as the panelist's language (pages and mail); one the study lacks is
    its default language. Returns the language kept."""
    chosen = code if code in who.survey.languages else who.survey.default_language
    panelist = session.get(Panelist, who.panelist_id)
    if panelist is not None and panelist.language != chosen:
        panelist.language = chosen
        session.flush()
    return chosen


def participant(session: Session, link_id: object) -> Participant | None:
    """Load the participant behind a session's link id (``None`` if it no longer exists)."""
    if not isinstance(link_id, int):
        return None
    row = session.execute(
        select(
            AccessLink.panelist_id,
            Panelist.language,
            Panelist.stakeholder_group,
            Round.id,
            Round.state,
            Round.deadline,
            Round.opened_at,
            Round.number,
        )
        .join(Panelist, Panelist.id == AccessLink.panelist_id)
        .join(Round, Round.id == AccessLink.round_id)
        .where(AccessLink.id == link_id)
    ).first()
    if row is None:
        return None
    return Participant(
        link_id=link_id,
        panelist_id=row.panelist_id,
        panelist_language=row.language,
        stakeholder_group=row.stakeholder_group,
        round_state=row.state,
        deadline=_utc(row.deadline),
        plan=plan_of(session, row.id, row.opened_at, row.number),
    )


def _respondent_id(session: Session, who: Participant) -> int | None:
    return respondents.find_id(session, who.survey.id, who.panelist_id)


def _respondent_id_or_new(session: Session, who: Participant) -> int:
    return respondents.find_or_create_id(
        session, who.survey.id, who.panelist_id, who.stakeholder_group
    )


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
    reason_checks: list[ReasonCheck]
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
) -> Questionnaire:
    """The round's questionnaire for ``who``.

    Prefilled from ``answers`` (a rejected post), else the draft, else what they submitted;
    ``kept`` holds texts of a rejected post that could not be stored (too long), by field.
    """
    respondent_id = _respondent_id(session, who)
    stored = answers_store.load(session, who.plan.round_id, respondent_id, who.plan.layout)
    if answers is None:
        answers = stored.working
    errors = errors or {}
    kept = kept or {}
    previous = feedback.previous_round(session, who.plan)
    ranges = feedback.middle_ranges(previous, who.plan)
    feedbacks = feedback.build(
        session,
        who.survey,
        previous,
        who.plan.items,
        respondent_id,
        who.language,
        frozenset(answers.persuasive),
    )
    criteria = who.survey.criteria
    by_topic: dict[int, list[Item]] = {}
    for statement in who.plan.items:
        sid = statement.statement_id
        questions = [
            Question(
                name=rating_field(sid, c.id),
                label=who.text(c.label),
                hint=who.text(c.question),
                points=points_of(who, c),
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
                reason_checks=_reason_checks(who, answers, ranges, sid),
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
    before = _previous_ranking(session, who, previous, respondent_id)
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


def _previous_ranking(
    session: Session,
    who: Participant,
    previous: feedback.PreviousRound | None,
    respondent_id: int | None,
) -> ranking_form.PreviousRanking | None:
    """Last round's ranking figures with this panelist's own positions then."""
    if previous is None or not previous.rankings:
        return None
    own = (
        answers_store.submitted_ratings(session, previous.round_id, respondent_id, previous.layout)
        if respondent_id is not None
        else {}
    )
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
        session, who.plan.round_id, _respondent_id(session, who), who.plan.layout
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
        feedback.previous_round(session, who.plan),
        who.plan.items if items is None else items,
        _respondent_id(session, who),
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
) -> list[ReasonCheck]:
    outside = {c.id for c, _ in _outside(answers, ranges, sid, who.survey.criteria)}
    return [
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
    ]


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


def _outside(
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


# ----------------------------------------------------------------- saving and submitting


@dataclass(frozen=True)
class Outcome:
    """What became of a posted questionnaire; ``errors`` maps field names to messages."""

    status: Literal["saved", "submitted", "proposed", "incomplete", "closed"]
    errors: dict[str, str] = field(default_factory=dict)


def answer(
    session: Session,
    who: Participant,
    posted: Posted,
    checked: Checked | None = None,
) -> Outcome:
    """Save or submit ``posted``; nothing the panelist typed is ever dropped.

    A late post (the round closed meanwhile) is kept as the draft, merged over the
    existing one; an incomplete submit, or any post with a text too long to store, is
    saved as the draft (less that text, which the page shows again) with the problems
    listed. ``checked`` is what :func:`check` found if the caller looked already, outside
    this transaction, so that a write holds the database only as long as writing takes.
    """
    if not _still_open(session, who):
        keep_late_answers(session, who, posted.answers)
        return Outcome("closed")
    too_long = _too_long(who, posted.too_long)
    if posted.action != "submit":
        save_draft(session, who, posted.answers)
        return Outcome("incomplete", too_long) if too_long else Outcome("saved")
    errors = {
        **submit(session, who, posted.answers, checked, refuse=bool(too_long)),
        **too_long,
    }
    if errors:
        return Outcome("incomplete", errors)
    return Outcome("proposed" if posted.answers.proposals else "submitted")


@dataclass(frozen=True)
class Checked:
    """What a submit needs to know that reading alone can tell: its problems, and the
    previous round's reasons the panelist was shown."""

    problems: dict[str, str]
    shown: frozenset[int]


def check(
    session: Session, who: Participant, answers: AnswerSheet, shown: Iterable[int] | None = None
) -> Checked:
    """Look, before writing, at what a submit of ``answers`` would find (``shown``: the
    reasons the panelist was shown, if the caller knows them)."""
    shown = shown_reasons(session, who) if shown is None else shown
    return Checked(problems(session, who, answers), frozenset(shown))


def _too_long(who: Participant, texts: dict[str, str]) -> dict[str, str]:
    gettext = who.translations.gettext
    numbers = {reason_field(i.statement_id): i.number for i in who.plan.items}
    titles = {proposal_field(t.id): who.text(t.title) for t in who.survey.topics}
    errors = {}
    for name, value in texts.items():
        if name in numbers:
            errors[name] = gettext(
                "Statement %(number)s: your reason has %(length)s characters; shorten it to "
                "%(limit)s at most"
            ) % {"number": numbers[name], "length": len(value), "limit": REASON_MAX_LENGTH}
        else:
            errors[name] = gettext(
                "%(topic)s: your proposal has %(length)s characters; shorten it to %(limit)s "
                "at most"
            ) % {"topic": titles.get(name, ""), "length": len(value), "limit": PROPOSAL_MAX_LENGTH}
    return errors


def _still_open(session: Session, who: Participant) -> bool:
    """Whether the round takes answers, judged so that no close can slip in between.

    On SQLite this write transaction holds the one write lock (see app.db), so the state
    read here is the state until it commits. PostgreSQL locks rows: the panelist's (one
    answer at a time per panelist - a double click, two tabs - since answer sets are
    replaced whole; NO KEY UPDATE leaves rows that reference the panelist insertable) and
    the round's FOR SHARE, which a concurrent close's UPDATE waits for (or this one sees
    the round closed), so no answer is counted as submitted after the snapshot was taken.
    """
    state = select(Round.state, Round.deadline).where(Round.id == who.plan.round_id)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(
            select(Panelist.id)
            .where(Panelist.id == who.panelist_id)
            .with_for_update(key_share=True)
        )
        state = state.with_for_update(read=True)
    row = session.execute(state).one()
    return row.state == RoundState.OPEN and not _past(_utc(row.deadline))


def save_draft(session: Session, who: Participant, answers: AnswerSheet) -> None:
    """Replace the panelist's draft with ``answers``."""
    respondent_id = _respondent_id_or_new(session, who)
    answers_store.save_draft(session, who.plan.round_id, respondent_id, who.plan.layout, answers)


def submit(
    session: Session,
    who: Participant,
    answers: AnswerSheet,
    checked: Checked | None = None,
    *,
    refuse: bool = False,
) -> dict[str, str]:
    """Submit ``answers`` if complete, replacing any earlier submission; else keep them as
    the draft and return the problems by field name. ``refuse`` keeps them as the draft
    whatever (the caller found another problem); ``checked`` is :func:`check`'s result,
    if the caller has it.

    The proposals among them are stored apart, with no link to this panelist, and leave
    the draft.
    """
    checked = checked or check(session, who, answers)
    errors = checked.problems
    if errors or refuse:
        save_draft(session, who, answers)
        return errors
    respondent_id = _respondent_id_or_new(session, who)
    answers_store.submit(
        session,
        who.plan.round_id,
        respondent_id,
        who.plan.layout,
        answers,
        language=who.language,
        shown_reasons=checked.shown,
    )
    if answers.proposals:
        round_ = session.get_one(Round, who.plan.round_id)
        proposals_store.submit(session, round_, answers.proposals, language=who.language)
    return {}


def keep_late_answers(session: Session, who: Participant, answers: AnswerSheet) -> None:
    """After the round closed: merge ``answers`` into the draft; it no longer counts."""
    respondent_id = _respondent_id_or_new(session, who)
    stored = answers_store.load(session, who.plan.round_id, respondent_id, who.plan.layout)
    answers_store.save_draft(
        session,
        who.plan.round_id,
        respondent_id,
        who.plan.layout,
        stored.working.overlay(answers),
    )


def draft_problems(session: Session, who: Participant) -> dict[str, str]:
    """What would stop a submit of the answers as they stand (draft, else submitted)."""
    stored = answers_store.load(
        session, who.plan.round_id, _respondent_id(session, who), who.plan.layout
    )
    return problems(session, who, stored.working)


def problems(session: Session, who: Participant, answers: AnswerSheet) -> dict[str, str]:
    """Why ``answers`` cannot be submitted: unrated cells, missing required reasons, an
    improper ranking (a position given twice or not at all), and in round 0 no proposal
    at all."""
    gettext = who.translations.gettext
    ranges = feedback.middle_ranges(feedback.previous_round(session, who.plan), who.plan)
    errors: dict[str, str] = {}
    if who.proposals_only and not answers.proposals and who.proposal_topics:
        errors[proposal_field(who.proposal_topics[0])] = gettext(
            "Propose at least one statement: write it in the box of its topic"
        )
    for item in who.plan.items:
        sid = item.statement_id
        for criterion in who.survey.criteria:
            if (sid, criterion.id) not in answers.ratings:
                errors[rating_field(sid, criterion.id)] = gettext(
                    "Statement %(number)s: choose a rating for %(criterion)s, or “Cannot judge”"
                ) % {"number": item.number, "criterion": who.text(criterion.label)}
        outside = _outside(answers, ranges, sid, who.survey.criteria)
        if outside and not answers.reasons.get(sid):
            criterion, (low, high) = outside[0]
            errors[reason_field(sid)] = gettext(
                "Statement %(number)s: give a reason, because your %(criterion)s rating is "
                "outside last round’s middle range (%(q1)s to %(q3)s)"
            ) % {
                "number": item.number,
                "criterion": who.text(criterion.label),
                "q1": i18n.format_decimal(low, who.language),
                "q3": i18n.format_decimal(high, who.language),
            }
    return {**errors, **ranking_form.problems(who.plan, answers, who.text, who.translations)}
