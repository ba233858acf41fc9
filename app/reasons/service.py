"""Reading and moderating the reasons of a closed round.

A reason is read with the ratings its writer gave the same statement and the bands those
ratings fall in, never with the writer: nothing returned here carries a respondent id or
code, so two reasons cannot be joined to one person. A reason's stakeholder group is
given only where that group has at least k raters on the statement (from the round's
snapshot, which applies the study's suppression rule).

:func:`round_reasons` is the query other domains (reports, exports) read reasons with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.audit import record
from app.console.labels import said
from app.errors import N_, Conflict, Invalid, NotFound
from app.models import (
    HiddenCause,
    Reason,
    Respondent,
    Response,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Statement,
    Survey,
)
from app.reasons.bands import RangeBand, ScaleBand, range_band, scale_band
from app.rounds import repository

__all__ = [
    "CriterionRating",
    "RoundReason",
    "get_or_raise",
    "hide",
    "restore",
    "round_reasons",
    "shown_groups",
    "snapshot_or_raise",
]

CAUSE_LABELS = {
    HiddenCause.PERSONAL_DATA: N_("Contains personal data"),
    HiddenCause.ABUSIVE: N_("Abusive"),
    HiddenCause.IDENTIFIES_SOMEONE: N_("Identifies someone"),
}


@dataclass(frozen=True)
class CriterionRating:
    """The rating a reason came with on one criterion, and where it falls."""

    rating: int | None  # None: "cannot judge" or not rated
    cannot_judge: bool
    range_band: RangeBand | None
    scale_band: ScaleBand | None


@dataclass(frozen=True)
class RoundReason:
    """A submitted reason of a closed round, without its writer."""

    id: int
    statement_id: int
    statement_key: str
    statement_version: int
    text: str
    language: str | None
    hidden_cause: HiddenCause | None
    group: str | None  # None unless the group has at least k raters on the statement
    ratings: dict[str, CriterionRating]  # criterion key -> rating

    @property
    def hidden(self) -> bool:
        return self.hidden_cause is not None

    @property
    def moderation(self) -> str:
        return "hidden" if self.hidden else "visible"


def snapshot_or_raise(session: Session, survey: Survey, round_: Round) -> RoundSnapshot:
    """The snapshot of a closed round; reasons are read against it."""
    if round_.state != RoundState.CLOSED:
        raise Conflict(
            N_("round %(number)s of %(key)s is %(state)s; its reasons are read once it is closed"),
            number=round_.number,
            key=repr(survey.key),
            state=said(round_.state),
        )
    snapshot = repository.snapshot_of(session, round_)
    if snapshot is None:
        raise Conflict(
            N_("round %(number)s of %(key)s has no computed results yet"),
            number=round_.number,
            key=repr(survey.key),
        )
    return snapshot


def shown_groups(survey: Survey, entry: dict[str, Any]) -> set[str]:
    """The stakeholder groups with at least k raters on every criterion of this statement
    whose figures the snapshot shows (``None`` there means suppressed)."""
    by_criterion = entry.get("groups", {})
    if not by_criterion:
        return set()
    groups = set.intersection(*(set(records) for records in by_criterion.values()))
    return {
        group
        for group in groups
        if all(
            (rec := records.get(group)) is not None and int(rec["n"]) >= survey.min_group_size
            for records in by_criterion.values()
        )
    }


def round_reasons(
    session: Session,
    survey: Survey,
    round_: Round,
    *,
    include_hidden: bool = False,
    statement_ids: Iterable[int] | None = None,
) -> list[RoundReason]:
    """The submitted reasons of closed ``round_`` in round order, each with its ratings,
    bands and (where at least k rated) stakeholder group.

    Hidden reasons are left out unless ``include_hidden`` (facilitators read them, marked;
    panelists and API keys never do).
    """
    snapshot = snapshot_or_raise(session, survey, round_)
    entries = {int(e["statement_id"]): e for e in snapshot.results["statements"]}
    query = (
        select(
            Reason.id,
            Reason.statement_id,
            Reason.text,
            Reason.language,
            Reason.hidden_cause,
            Respondent.stakeholder_group,
            Statement.key,
            Statement.version,
            RoundItem.position,
        )
        .join(Respondent, Respondent.id == Reason.respondent_id)
        .join(Statement, Statement.id == Reason.statement_id)
        .join(
            RoundItem,
            and_(
                RoundItem.round_id == Reason.round_id, RoundItem.statement_id == Reason.statement_id
            ),
        )
        .where(Reason.round_id == round_.id)
        # Reason ids are random: a stable order that says nothing about who wrote first.
        .order_by(RoundItem.position, Reason.id)
    )
    if not include_hidden:
        query = query.where(Reason.hidden_cause.is_(None))
    if statement_ids is not None:
        query = query.where(Reason.statement_id.in_(list(statement_ids)))
    rows = session.execute(query).all()
    ratings = _ratings(session, round_.id, [r.id for r in rows])
    criteria = survey.criteria
    groups_shown = {sid: shown_groups(survey, entry) for sid, entry in entries.items()}
    result = []
    for row in rows:
        entry = entries.get(row.statement_id, {})
        given = ratings.get(row.id, {})
        by_criterion = {}
        for c in criteria:
            rating, cannot_judge = given.get(c.id, (None, False))
            by_criterion[c.key] = CriterionRating(
                rating=rating,
                cannot_judge=cannot_judge,
                range_band=range_band(rating, entry.get("criteria", {}).get(c.key)),
                scale_band=scale_band(
                    rating, (c.agree_low, c.agree_high), (c.disagree_low, c.disagree_high)
                ),
            )
        group = row.stakeholder_group
        result.append(
            RoundReason(
                id=row.id,
                statement_id=row.statement_id,
                statement_key=row.key,
                statement_version=row.version,
                text=row.text,
                language=row.language,
                hidden_cause=row.hidden_cause,
                group=group if group in groups_shown.get(row.statement_id, set()) else None,
                ratings=by_criterion,
            )
        )
    return result


def _ratings(
    session: Session, round_id: int, reason_ids: list[int]
) -> dict[int, dict[int, tuple[int | None, bool]]]:
    """Per reason id, the (rating, cannot judge) its writer gave on each criterion."""
    if not reason_ids:
        return {}
    rows = session.execute(
        select(Reason.id, Response.criterion_id, Response.rating, Response.cannot_judge)
        .join(
            Response,
            and_(
                Response.round_id == Reason.round_id,
                Response.respondent_id == Reason.respondent_id,
                Response.statement_id == Reason.statement_id,
            ),
        )
        .where(Reason.round_id == round_id)
    )
    wanted = set(reason_ids)
    result: dict[int, dict[int, tuple[int | None, bool]]] = {}
    for reason_id, criterion_id, rating, cannot_judge in rows:
        if reason_id in wanted:
            result.setdefault(reason_id, {})[criterion_id] = (rating, bool(cannot_judge))
    return result


# --------------------------------------------------------------------------- moderation


def get_or_raise(session: Session, survey: Survey, round_: Round, reason_id: int) -> Reason:
    """Reason ``reason_id`` of ``round_`` of ``survey``, or ``NotFound``."""
    reason = session.get(Reason, reason_id)
    if reason is None or reason.round_id != round_.id or round_.survey_id != survey.id:
        raise NotFound(
            N_("round %(number)s of %(key)s has no such reason"),
            number=round_.number,
            key=repr(survey.key),
        )
    return reason


def parse_cause(value: str) -> HiddenCause:
    try:
        return HiddenCause(value)
    except ValueError:
        choices = ", ".join(c.value for c in HiddenCause)
        raise Invalid(N_("cause: choose one of %(choices)s"), choices=choices) from None


def hide(
    session: Session,
    survey: Survey,
    round_: Round,
    reason: Reason,
    cause: HiddenCause,
    *,
    actor: str,
) -> None:
    """Hide ``reason`` from panelists and exports, recording why; nothing is deleted."""
    snapshot_or_raise(session, survey, round_)
    if reason.hidden_cause is not None:
        raise Conflict(N_("this reason is already hidden"))
    reason.hidden_cause = cause
    session.flush()
    record(
        session,
        actor,
        "reason.hide",
        survey.id,
        {"round": round_.number, "reason": reason.id, "cause": cause.value},
    )


def restore(session: Session, survey: Survey, round_: Round, reason: Reason, *, actor: str) -> None:
    """Show a hidden reason again."""
    snapshot_or_raise(session, survey, round_)
    if reason.hidden_cause is None:
        raise Conflict(N_("this reason is not hidden"))
    reason.hidden_cause = None
    session.flush()
    record(
        session, actor, "reason.restore", survey.id, {"round": round_.number, "reason": reason.id}
    )
