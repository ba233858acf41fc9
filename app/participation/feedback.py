"""Last round's results as a panelist sees them next to each statement (from round 2 on).

Figures come from the previous round's immutable snapshot, never recomputed here. The
reasons shown are other panelists' submitted reasons, anonymous: text only, no name,
group or date. A statement fewer than the study's minimum group size (k) rated shows
none of this: with two raters, your own rating and the chart give away the other's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.cells import Layout
from app.answers.sheet import Cell
from app.models import Reason, Response, Round, RoundSnapshot
from app.rounds.plan import CriterionInfo, RoundPlan, SurveyInfo, plan_of

REASONS_PER_SIDE = 2


@dataclass(frozen=True)
class PreviousRound:
    """The round before the current one: its snapshot entries by statement id, and what
    the questionnaire derives from them (kept per process: a snapshot never changes)."""

    round_id: int
    number: int
    layout: Layout
    statements: dict[int, dict[str, Any]]
    ranges: dict[Cell, tuple[float, float]]


@dataclass(frozen=True)
class CriterionFeedback:
    criterion_id: int
    label: str
    low: int
    high: int
    counts: tuple[int, ...]
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    own: int | None
    own_cannot_judge: bool


@dataclass(frozen=True)
class StatementFeedback:
    round_number: int
    criteria: list[CriterionFeedback]
    reasons_below: list[str]
    reasons_above: list[str]
    # Too few rated it last round: no figures and no reasons, only a note saying so.
    withheld: bool = False


_kept: OrderedDict[tuple[str, int, str], PreviousRound | None] = OrderedDict()
_lock = threading.Lock()
KEPT = 128


def previous_round(session: Session, plan: RoundPlan) -> PreviousRound | None:
    """The previous round with a snapshot, or ``None`` in round 1."""
    row = session.execute(
        select(Round.id, Round.opened_at, RoundSnapshot.computed_at)
        .join(RoundSnapshot, RoundSnapshot.round_id == Round.id)
        .where(Round.survey_id == plan.survey.id, Round.number == plan.number - 1)
    ).first()
    if row is None:
        return None
    key = (str(session.get_bind().engine.url), row.id, str(row.computed_at))
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    snapshot = session.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == row.id))
    assert snapshot is not None
    before = plan_of(session, row.id, row.opened_at)
    entries = {int(s["statement_id"]): s for s in snapshot.results.get("statements", [])}
    previous = PreviousRound(
        round_id=row.id,
        number=before.number,
        layout=before.layout,
        statements=entries,
        ranges=_middle_ranges(entries, plan.survey),
    )
    with _lock:
        _kept[key] = previous
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return previous


def _record(entry: dict[str, Any], criterion: CriterionInfo) -> dict[str, Any] | None:
    record = entry.get("criteria", {}).get(criterion.key)
    return record if record and record.get("n") else None


def _withheld(entry: dict[str, Any], survey: SurveyInfo) -> bool:
    """Whether some criterion of this statement was rated by fewer than k panelists.

    Then nothing about the statement is shown: not the charts, the quartiles in the
    reason prompt, nor the reasons.
    """
    return any(
        (record := _record(entry, criterion)) is not None
        and int(record["n"]) < survey.min_group_size
        for criterion in survey.criteria
    )


def middle_ranges(previous: PreviousRound | None) -> dict[Cell, tuple[float, float]]:
    """Last round's (q1, q3) per statement, for the criteria a consensus rule judges.

    A rating outside this range needs a reason on submit (classic Delphi practice).
    """
    return previous.ranges if previous is not None else {}


def _middle_ranges(
    statements: dict[int, dict[str, Any]], survey: SurveyInfo
) -> dict[Cell, tuple[float, float]]:
    ranges: dict[Cell, tuple[float, float]] = {}
    for statement_id, entry in statements.items():
        if _withheld(entry, survey):
            continue
        for criterion in survey.criteria:
            record = _record(entry, criterion)
            if criterion.consensus_rule and record and None not in (record["q1"], record["q3"]):
                ranges[(statement_id, criterion.id)] = (float(record["q1"]), float(record["q3"]))
    return ranges


def build(
    session: Session,
    survey: SurveyInfo,
    previous: PreviousRound | None,
    statement_ids: Iterable[int],
    respondent_id: int | None,
    language: str,
) -> dict[int, StatementFeedback]:
    """Feedback per statement id for those of ``statement_ids`` rated last round."""
    if previous is None:
        return {}
    own = (
        answers_store.submitted_ratings(session, previous.round_id, respondent_id, previous.layout)
        if respondent_id is not None
        else {}
    )
    reasons = _reasons(session, survey, previous, respondent_id)
    result: dict[int, StatementFeedback] = {}
    for statement_id in statement_ids:
        entry = previous.statements.get(statement_id)
        if entry is None:
            continue
        if _withheld(entry, survey):
            result[statement_id] = StatementFeedback(
                round_number=previous.number,
                criteria=[],
                reasons_below=[],
                reasons_above=[],
                withheld=True,
            )
            continue
        criteria = []
        for criterion in survey.criteria:
            record = _record(entry, criterion)
            if record is None:
                continue
            cell = (statement_id, criterion.id)
            criteria.append(
                CriterionFeedback(
                    criterion_id=criterion.id,
                    label=survey.text(criterion.label, language),
                    low=criterion.scale_low,
                    high=criterion.scale_high,
                    counts=tuple(int(c) for c in record["counts"]),
                    n=int(record["n"]),
                    median=record.get("median"),
                    q1=record.get("q1"),
                    q3=record.get("q3"),
                    own=own.get(cell),
                    own_cannot_judge=cell in own and own[cell] is None,
                )
            )
        if criteria:
            below, above = reasons.get(statement_id, ([], []))
            result[statement_id] = StatementFeedback(
                round_number=previous.number,
                criteria=criteria,
                reasons_below=below,
                reasons_above=above,
            )
    return result


def _reasons(
    session: Session, survey: SurveyInfo, previous: PreviousRound, respondent_id: int | None
) -> dict[int, tuple[list[str], list[str]]]:
    """Up to two reasons from each side of the median on the first criterion.

    The side is judged by the writer's own rating on that criterion, so both camps are
    heard; the reader's own reason is never among them.
    """
    first = survey.criteria[0]
    query = (
        select(Reason.statement_id, Reason.text, Response.rating)
        .join(
            Response,
            and_(
                Response.round_id == Reason.round_id,
                Response.respondent_id == Reason.respondent_id,
                Response.statement_id == Reason.statement_id,
                Response.criterion_id == first.id,
            ),
        )
        .where(
            Reason.round_id == previous.round_id,
            Response.rating.is_not(None),
        )
        # Reason ids are random, so this picks an arbitrary sample that stays the same
        # on every page load.
        .order_by(Reason.statement_id, Reason.id)
    )
    if respondent_id is not None:
        query = query.where(Reason.respondent_id != respondent_id)
    result: dict[int, tuple[list[str], list[str]]] = {}
    for statement_id, text, rating in session.execute(query):
        entry = previous.statements.get(statement_id, {})
        record = _record(entry, first)
        if record is None or record.get("median") is None or _withheld(entry, survey):
            continue
        below, above = result.setdefault(statement_id, ([], []))
        side = below if rating < record["median"] else above
        # The same words twice add nothing; show another panelist's instead.
        if len(side) < REASONS_PER_SIDE and text not in side:
            side.append(text)
    return result
