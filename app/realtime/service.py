"""Answering a real-time study: the live questionnaire, submitting and revising.

Feedback on a statement (distribution, median and IQR, reasons, the panelist's own
answer) is shown to a panelist only once they submitted their own answer to it, and
only once at least ``feedback_after`` panelists (never fewer than k) have, with none or
at least k ratings on every criterion: nobody sees the panel before answering blind,
and no figure is about fewer than k raters. Only the rating criteria count there: a
ranking criterion is answered per topic. A topic's live ranking figures (mean rank,
distribution, the panelist's own position) show once k panelists ranked it and the
panelist has.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.answers import live as live_answers
from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet, Cell
from app.audit import record
from app.errors import N_, Conflict, Invalid
from app.models import Reason, Round, Survey, SurveyMode
from app.panel import respondents
from app.participation import submit as submitting
from app.participation.feedback import CriterionFeedback, ShownReason, reason_language_name
from app.participation.participant import Participant
from app.participation.questionnaire import FieldError, Question, points_of
from app.participation.schemas import Posted, rating_field, reason_field
from app.rankings import form as ranking_form
from app.realtime import live

CONFIRM_FIELD = "keep"
MODES = tuple(m.value for m in SurveyMode)
REASONS_SHOWN = 6


@dataclass(frozen=True)
class LiveItem:
    """One statement of the live questionnaire with, once earned, the panel's feedback."""

    statement_id: int
    number: int
    text: str
    questions: list[Question]
    reason_name: str
    reason: str
    reason_error: str | None
    answered: bool  # submitted by this panelist
    feedback: list[CriterionFeedback] | None  # None while hidden
    reasons: list[ShownReason]
    waiting: int  # answers still needed before the feedback shows (0 when shown)
    confirmed: bool  # kept unchanged after seeing the feedback


@dataclass(frozen=True)
class LiveSection:
    title: str
    items: list[LiveItem]
    rankings: list[ranking_form.RankingForm] = field(default_factory=list)


@dataclass(frozen=True)
class LivePage:
    survey_title: str
    deadline: dt.datetime | None
    sections: list[LiveSection]
    feedback_after: int
    errors: list[FieldError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(item.answered for s in self.sections for item in s.items)


def in_view(session: Session, who: Participant) -> frozenset[Cell]:
    """The cells whose feedback this panelist can see now: every rating cell of the
    statements shown, every cell of the rankings shown."""
    respondent_id = respondents.find_id(session, who.survey.id, who.panelist_id)
    submitted = answers_store.submitted_ratings(
        session, who.plan.round_id, respondent_id or 0, who.plan.layout
    )
    counts = live.counts(session, who.plan)
    ratings = {(sid, c.id) for sid in _visible(who, counts, submitted) for c in who.survey.criteria}
    ranked = {
        (item.statement_id, g.criterion.id)
        for g in ranking_form.groups(who.plan)
        if _ranking_shown(who, counts, g, submitted)
        for item in g.items
    }
    return frozenset(ratings | ranked)


def _ranking_shown(
    who: Participant,
    counts: live.Counts,
    group: ranking_form.Group,
    submitted: dict[Cell, int | None],
) -> bool:
    """The panelist ranked ``group`` and at least k panelists have."""
    if not any(submitted.get((item.statement_id, group.criterion.id)) for item in group.items):
        return False
    rankers = counts.rankers.get((group.criterion.key, group.topic_key), 0)
    return rankers >= who.survey.min_group_size


def _ranking_figures(figures: live.Figures, group: ranking_form.Group) -> dict[str, Any] | None:
    for question in figures.rankings:
        if question["criterion"] == group.criterion.key and question["topic"] == group.topic_key:
            return question
    return None


def _visible(
    who: Participant, counts: live.Counts, submitted: dict[Cell, int | None]
) -> frozenset[int]:
    criteria = [c.id for c in who.survey.criteria]
    return frozenset(
        sid
        for i, sid in enumerate(who.plan.statement_ids)
        if _still_needed(who, counts, i) == 0 and all((sid, c) in submitted for c in criteria)
    )


def _still_needed(who: Participant, counts: live.Counts, i: int) -> int:
    """Answers statement ``i`` still needs before its feedback shows: ``feedback_after``
    in all, and on every criterion none or at least k ratings ("cannot judge" is not a
    rating; a chart of fewer than k ratings would give them away)."""
    k = who.survey.min_group_size
    short = [k - int(n[i]) for n in counts.rated if 0 < int(n[i]) < k]
    return max(who.survey.feedback_after - int(counts.answered[i]), *short, 0)


def page(
    session: Session,
    who: Participant,
    answers: AnswerSheet | None = None,
    errors: dict[str, str] | None = None,
) -> LivePage:
    """The live questionnaire for ``who``: prefilled from ``answers`` (a rejected post),
    else the draft, else what they submitted."""
    respondent_id = respondents.find_id(session, who.survey.id, who.panelist_id)
    layout = who.plan.layout
    stored = answers_store.load(session, who.plan.round_id, respondent_id, layout)
    submitted = stored.submitted.ratings if stored.submitted else {}
    answers = answers or stored.working
    errors = errors or {}
    figures = live.figures(session, who.plan)
    visible = _visible(who, figures.counts, submitted)
    flags = live_answers.own_flags(session, who.plan.round_id, respondent_id, layout)
    reasons = _reasons(session, who, visible, respondent_id)
    rankings: dict[int, list[ranking_form.RankingForm]] = {}
    for ranking in _ranking_forms(who, figures, answers, errors, submitted):
        rankings.setdefault(ranking.topic_id, []).append(ranking)
    index = {sid: i for i, sid in enumerate(layout.statement_ids)}
    by_topic: dict[int, list[LiveItem]] = {}
    for item in who.plan.items:
        sid = item.statement_id
        i = index[sid]
        shown = sid in visible
        by_topic.setdefault(item.topic_id, []).append(
            LiveItem(
                statement_id=sid,
                number=item.number,
                text=who.text(item.text),
                questions=[
                    Question(
                        name=rating_field(sid, c.id),
                        label=who.text(c.label),
                        hint=who.text(c.question),
                        points=points_of(who, c),
                        selected=answers.value(sid, c.id),
                        error=errors.get(rating_field(sid, c.id)),
                    )
                    for c in who.survey.criteria
                ],
                reason_name=reason_field(sid),
                reason=answers.reasons.get(sid, ""),
                reason_error=errors.get(reason_field(sid)),
                answered=all((sid, c.id) in submitted for c in who.survey.criteria),
                feedback=_feedback(who, figures, i, submitted) if shown else None,
                reasons=reasons.get(sid, []) if shown else [],
                waiting=_still_needed(who, figures.counts, i),
                confirmed=bool(flags is not None and (flags[i] & live_answers.CONFIRMED).all()),
            )
        )
    return LivePage(
        survey_title=who.text(who.survey.title),
        deadline=who.deadline,
        sections=[
            LiveSection(
                title=who.text(t.title), items=by_topic[t.id], rankings=rankings.get(t.id, [])
            )
            for t in who.survey.topics
            if t.id in by_topic
        ],
        feedback_after=who.survey.feedback_after,
        errors=[
            FieldError(target=_target(name, who), message=message)
            for name, message in errors.items()
        ],
    )


def _ranking_forms(
    who: Participant,
    figures: live.Figures,
    answers: AnswerSheet,
    errors: dict[str, str],
    submitted: dict[Cell, int | None],
) -> list[ranking_form.RankingForm]:
    """The ranking questions, each with the panel's figures so far once earned."""
    groups = ranking_form.groups(who.plan)
    shown = [
        found
        for g in groups
        if _ranking_shown(who, figures.counts, g, submitted)
        and (found := _ranking_figures(figures, g)) is not None
    ]
    so_far = ranking_form.PreviousRanking(
        number=0, rankings=shown, own=submitted, min_group_size=who.survey.min_group_size
    )
    return [
        replace(form, so_far=form.rankers is not None)
        for form in ranking_form.forms(who.plan, answers, errors, who.text, so_far)
    ]


def _feedback(
    who: Participant, figures: live.Figures, i: int, submitted: dict[Cell, int | None]
) -> list[CriterionFeedback]:
    sid = who.plan.statement_ids[i]
    out = []
    for criterion, summary in zip(who.survey.criteria, figures.summaries, strict=True):
        own = submitted.get((sid, criterion.id))
        out.append(
            CriterionFeedback(
                criterion_id=criterion.id,
                label=who.text(criterion.label),
                low=criterion.scale_low,
                high=criterion.scale_high,
                counts=tuple(int(x) for x in summary.counts[i]),
                n=int(summary.n[i]),
                median=_num(summary.median[i]),
                q1=_num(summary.q1[i]),
                q3=_num(summary.q3[i]),
                own=own,
                own_cannot_judge=(sid, criterion.id) in submitted and own is None,
            )
        )
    return out


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _reasons(
    session: Session, who: Participant, visible: Iterable[int], respondent_id: int | None
) -> dict[int, list[ShownReason]]:
    """Other panelists' reasons no facilitator hid, anonymous (text and language only).

    Reason ids are random, so ordering by id gives every reason the same chance to be
    among those shown, whenever it was written: the first answers do not crowd out the
    later ones (the initial-condition effect).
    """
    wanted = list(visible)
    if not wanted:
        return {}
    rows = session.execute(
        select(Reason.id, Reason.statement_id, Reason.text, Reason.language)
        .where(
            Reason.round_id == who.plan.round_id,
            Reason.statement_id.in_(wanted),
            Reason.hidden_cause.is_(None),
            Reason.respondent_id != (respondent_id or 0),
        )
        .order_by(Reason.statement_id, Reason.id)
    ).all()
    out: dict[int, list[ShownReason]] = {}
    for r in rows:
        shown = out.setdefault(r.statement_id, [])
        if len(shown) < REASONS_SHOWN:
            shown.append(
                ShownReason(
                    id=r.id,
                    text=r.text,
                    language=r.language,
                    foreign=r.language is not None and r.language != who.language,
                    persuasive=False,
                    language_name=reason_language_name(r.language, who.language),
                )
            )
    return out


def _target(name: str, who: Participant) -> str:
    if name.startswith("r-"):
        return f"{name}-{who.survey.criteria[0].scale_low}"
    return name


def set_mode(session: Session, survey: Survey, mode: str, *, actor: str) -> None:
    """Choose how the study runs (``rounds`` or ``realtime``) while nothing is launched."""
    if mode not in MODES:
        raise Invalid(
            N_("mode: choose one of %(modes)s, not %(mode)s"),
            modes=", ".join(MODES),
            mode=repr(mode[:20]),
        )
    if session.scalar(select(Round.id).where(Round.survey_id == survey.id).limit(1)):
        raise Conflict(
            N_("study %(key)s has been launched; its mode can no longer change"),
            key=repr(survey.key),
        )
    survey.mode = SurveyMode(mode)
    session.flush()
    record(session, actor, "survey.mode", survey.id, {"mode": mode})


# ----------------------------------------------------------------- saving and submitting


@dataclass(frozen=True)
class Outcome:
    status: Literal["saved", "submitted", "incomplete", "closed"]
    errors: dict[str, str] = field(default_factory=dict)
    recorded: live_answers.LiveSet | None = None


def confirmations(items: Iterable[tuple[str, object]], statement_ids: Iterable[int]) -> set[int]:
    """The statements the panelist ticked "I keep my answer" for; ``Invalid`` if forged."""
    known = set(statement_ids)
    out: set[int] = set()
    for name, value in items:
        if name != CONFIRM_FIELD:
            continue
        if not isinstance(value, str) or not re.fullmatch(r"\d{1,18}", value):
            raise Invalid(
                N_("%(field)s: %(value)s is not a statement"),
                field=CONFIRM_FIELD,
                value=repr(str(value)[:20]),
            )
        if int(value) not in known:
            raise Invalid(
                N_("%(field)s: %(value)s is not a statement of this study"),
                field=CONFIRM_FIELD,
                value=value,
            )
        out.add(int(value))
    return out


def answer(
    session: Session,
    who: Participant,
    posted: Posted,
    seen: frozenset[Cell],
    confirmed: set[int],
) -> Outcome:
    """Save the draft, or submit the statements answered on every rating criterion and
    the rankings given.

    ``seen`` are the cells whose feedback the panelist could see before posting. A
    statement answered on some criteria only, or an improper ranking, is refused (the
    post is kept as the draft); after the study closed, the post is kept as the draft
    and nothing counts.
    """
    if not submitting.still_open(session, who):
        submitting.keep_late_answers(session, who, posted.answers)
        return Outcome("closed")
    gettext = who.translations.gettext
    errors = submitting.too_long_problems(who, posted.too_long)
    if posted.action == "save" and not errors:
        submitting.save_draft(session, who, posted.answers)
        return Outcome("saved")
    complete: list[int] = []
    for item in who.plan.items:
        sid = item.statement_id
        given = [c for c in who.survey.criteria if (sid, c.id) in posted.answers.ratings]
        if len(given) == len(who.survey.criteria):
            complete.append(sid)
        elif given:
            missing = next(c for c in who.survey.criteria if c not in given)
            errors[rating_field(sid, missing.id)] = gettext(
                "Statement %(number)s: choose a rating for %(criterion)s, or “Cannot judge”"
            ) % {"number": item.number, "criterion": who.text(missing.label)}
    errors.update(ranking_form.problems(who.plan, posted.answers, who.text, who.translations))
    ranked = [
        (item.statement_id, g.criterion.id)
        for g in ranking_form.groups(who.plan)
        if any((item.statement_id, g.criterion.id) in posted.answers.ratings for item in g.items)
        for item in g.items
    ]
    if not complete and not ranked and not errors and posted.action == "submit":
        first = who.plan.items[0]
        errors[rating_field(first.statement_id, who.survey.criteria[0].id)] = gettext(
            "Answer at least one statement on every criterion before you submit"
        )
    if errors:
        submitting.save_draft(session, who, posted.answers)
        return Outcome("incomplete", errors)
    respondent_id = respondents.find_or_create_id(
        session, who.survey.id, who.panelist_id, who.stakeholder_group
    )
    recorded = live_answers.submit_statements(
        session,
        who.plan.round_id,
        respondent_id,
        who.plan.layout,
        posted.answers,
        [(sid, c.id) for sid in complete for c in who.survey.criteria] + ranked,
        language=who.language,
        in_view=seen,
        confirmed={sid for sid in confirmed if (sid, who.survey.criteria[0].id) in seen},
        reasons_for=complete,
    )
    if any(sid not in complete for sid in posted.answers.reasons):
        # A reason written on a statement not rated yet stays in the draft.
        submitting.save_draft(session, who, posted.answers)
    return Outcome("submitted", recorded=recorded)
