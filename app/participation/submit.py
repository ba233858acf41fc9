"""Saving drafts and submitting answer sets: nothing the panelist typed is dropped.

Every date written about an answer is a day, never a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from app import i18n
from app.answers import service as answers_store
from app.answers.sheet import AnswerSheet
from app.models import Round, RoundState
from app.participation import feedback
from app.participation.participant import (
    Participant,
    as_utc,
    find_respondent_id,
    is_past,
    previous_round,
    respondent_id_or_new,
)
from app.participation.questionnaire import ratings_outside, shown_reasons
from app.participation.schemas import (
    PROPOSAL_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Posted,
    proposal_field,
    rating_field,
    reason_field,
)
from app.proposals import service as proposals_store
from app.rankings import form as ranking_form

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
    if not still_open(session, who):
        keep_late_answers(session, who, posted.answers)
        return Outcome("closed")
    too_long = too_long_problems(who, posted.too_long)
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


def too_long_problems(who: Participant, texts: dict[str, str]) -> dict[str, str]:
    """The message for each posted text too long to store (``texts``: field name to text),
    in the panelist's language, by field name."""
    ngettext = who.translations.ngettext
    numbers = {reason_field(i.statement_id): i.number for i in who.plan.items}
    titles = {proposal_field(t.id): who.text(t.title) for t in who.survey.topics}
    errors = {}
    for name, value in texts.items():
        if name in numbers:
            errors[name] = ngettext(
                "Statement %(number)s: your reason has %(length)s character; shorten it to "
                "%(limit)s at most",
                "Statement %(number)s: your reason has %(length)s characters; shorten it to "
                "%(limit)s at most",
                len(value),
            ) % {"number": numbers[name], "length": len(value), "limit": REASON_MAX_LENGTH}
        else:
            errors[name] = ngettext(
                "%(topic)s: your proposal has %(length)s character; shorten it to %(limit)s "
                "at most",
                "%(topic)s: your proposal has %(length)s characters; shorten it to %(limit)s "
                "at most",
                len(value),
            ) % {"topic": titles.get(name, ""), "length": len(value), "limit": PROPOSAL_MAX_LENGTH}
    return errors


def still_open(session: Session, who: Participant) -> bool:
    """Whether the round takes answers, judged so that no close can slip in between.

    On SQLite this write transaction holds the one write lock (see app.db), so the state
    read here is the state until it commits. PostgreSQL locks rows: the panelist's (one
    answer at a time per panelist - a double click, two tabs - since answer sets are
    replaced whole; NO KEY UPDATE leaves rows that reference the panelist insertable) and
    the round's FOR SHARE, which a concurrent close's UPDATE waits for (or this one sees
    the round closed), so no answer is counted as submitted after the snapshot was taken.
    """
    connection = session.connection()
    key = {"round_id": who.plan.round_id, "panelist_id": who.panelist_id}
    if connection.dialect.name == "sqlite":
        row = connection.execute(_STATE, key).one()
    else:
        # The panelist's row gone (removed meanwhile): still the round's FOR SHARE.
        row = (
            connection.execute(_LOCKED_STATE, key).first()
            or connection.execute(_SHARED_STATE, key).one()
        )
    return row.state == RoundState.OPEN and not is_past(as_utc(row.deadline))


# Built once. On PostgreSQL one statement takes both locks, each with its own clause
# (SQLAlchemy's with_for_update gives one mode to all): the round's row FOR SHARE and
# the panelist's FOR NO KEY UPDATE.
_STATE = select(Round.state, Round.deadline).where(Round.id == bindparam("round_id"))
_SHARED_STATE = _STATE.with_for_update(read=True)
_LOCKED_STATE = text(
    "SELECT round.state, round.deadline FROM round, panelist"
    " WHERE round.id = :round_id AND panelist.id = :panelist_id"
    " FOR SHARE OF round FOR NO KEY UPDATE OF panelist"
).columns(Round.state, Round.deadline)


def save_draft(session: Session, who: Participant, answers: AnswerSheet) -> None:
    """Replace the panelist's draft with ``answers``."""
    respondent_id = respondent_id_or_new(session, who)
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
    respondent_id = respondent_id_or_new(session, who)
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
    respondent_id = respondent_id_or_new(session, who)
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
        session, who.plan.round_id, find_respondent_id(session, who), who.plan.layout
    )
    return problems(session, who, stored.working)


def problems(session: Session, who: Participant, answers: AnswerSheet) -> dict[str, str]:
    """Why ``answers`` cannot be submitted: unrated cells, missing required reasons, an
    improper ranking (a position given twice or not at all), and in round 0 no proposal
    at all."""
    gettext = who.translations.gettext
    ranges = feedback.middle_ranges(previous_round(session, who), who.plan)
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
        outside = ratings_outside(answers, ranges, sid, who.survey.criteria)
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
