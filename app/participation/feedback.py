"""Last round's results as a panelist sees them next to each statement (from round 2 on).

Figures come from the previous round's immutable snapshot, never recomputed here. A
statement reworded since last round gets its previous version's results, with that
wording. The reasons shown are other panelists' submitted reasons that no facilitator
hid, anonymous: text and language only, no name, group or date, chosen per criterion
and band by :mod:`app.reasons.selection`. A statement fewer than the study's minimum
group size (k) rated shows none of this: with two raters, your own rating and the chart
give away the other's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import i18n
from app.answers.cells import Layout
from app.answers.sheet import Cell
from app.models import Reason, Round, RoundSnapshot
from app.reasons import selection
from app.reasons.bands import RangeBand
from app.rounds.plan import CriterionInfo, ItemInfo, RoundPlan, SurveyInfo, plan_of


@dataclass(frozen=True)
class PreviousRound:
    """The round before the current one: its snapshot entries by statement id, and what
    the questionnaire derives from them (kept per process: a snapshot never changes)."""

    round_id: int
    number: int
    computed_at: object
    plan: RoundPlan
    statements: dict[int, dict[str, Any]]
    ranges: dict[Cell, tuple[float, float]]
    rankings: tuple[dict[str, Any], ...] = ()  # the snapshot's ranking questions

    @property
    def layout(self) -> Layout:
        return self.plan.layout

    def source_of(self, item: ItemInfo) -> int | None:
        """The statement rated last round whose results ``item`` is shown with: itself,
        or the version it rewords."""
        for statement_id in (item.statement_id, *item.reworded_from):
            if statement_id in self.statements:
                return statement_id
        return None


@dataclass(frozen=True)
class GroupFeedback:
    """One stakeholder group's figures on one criterion, as the snapshot shows them."""

    label: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None


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
    # Per stakeholder group, where the study shows them: those the snapshot does not
    # suppress; ``groups_hidden`` says some were (fewer than ``min_group_size``).
    groups: tuple[GroupFeedback, ...] = ()
    groups_hidden: bool = False
    min_group_size: int = 5


@dataclass(frozen=True)
class ShownReason:
    id: int
    text: str
    language: str | None
    # Written in another language than the page (the page says so; ``lang`` tells readers).
    foreign: bool
    persuasive: bool  # this panelist marked it
    language_name: str | None = None  # the reason's language, named in the page's


@dataclass(frozen=True)
class ReasonBand:
    """Reasons from panelists whose rating on one criterion fell in one band."""

    criterion_label: str
    band: RangeBand
    q1: float
    q3: float
    reasons: tuple[ShownReason, ...]


@dataclass(frozen=True)
class StatementFeedback:
    """Hashable, so that its rendering can be kept by content (``once``); every field but
    ``rated_text`` is in the hash (the page passes the wording it shows beside it)."""

    round_number: int
    criteria: tuple[CriterionFeedback, ...]
    reasons: tuple[ReasonBand, ...]
    # Too few rated it last round: no figures and no reasons, only a note saying so.
    withheld: bool = False
    # Reworded since last round: the wording the panel rated then, in every language.
    rated_text: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Novelty:
    """A statement new on this round: how it came about, and the earlier wordings."""

    origin: str  # proposed, added, split or merged
    earlier: list[dict[str, Any]]  # texts of the versions it came from, rated last round


_kept: OrderedDict[tuple[str, int, str], PreviousRound | None] = OrderedDict()
_lock = threading.Lock()
KEPT = 128


# Built once and run on the connection: every questionnaire request asks.
_PREVIOUS = (
    select(Round.id, Round.opened_at, Round.number, RoundSnapshot.computed_at)
    .join(RoundSnapshot, RoundSnapshot.round_id == Round.id)
    .where(Round.survey_id == bindparam("survey_id"), Round.number == bindparam("number"))
)


def previous_round(session: Session, plan: RoundPlan) -> PreviousRound | None:
    """The previous round with a snapshot, or ``None`` in round 1."""
    row = (
        session.connection()
        .execute(_PREVIOUS, {"survey_id": plan.survey.id, "number": plan.number - 1})
        .first()
    )
    if row is None:
        return None
    key = (str(session.get_bind().engine.url), row.id, str(row.computed_at))
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    snapshot = session.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == row.id))
    assert snapshot is not None
    before = plan_of(session, row.id, row.opened_at, row.number)
    entries = {int(s["statement_id"]): s for s in snapshot.results.get("statements", [])}
    previous = PreviousRound(
        round_id=row.id,
        number=before.number,
        computed_at=row.computed_at,
        plan=before,
        statements=entries,
        ranges=_middle_ranges(entries, plan.survey),
        rankings=tuple(snapshot.results.get("rankings", [])),
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


def middle_ranges(
    previous: PreviousRound | None, plan: RoundPlan
) -> dict[Cell, tuple[float, float]]:
    """Last round's (q1, q3) per statement of ``plan``, for the criteria a consensus rule
    judges (a reworded statement has its previous version's).

    A rating outside this range needs a reason on submit (classic Delphi practice).
    """
    if previous is None:
        return {}
    ranges: dict[Cell, tuple[float, float]] = {}
    for item in plan.items:
        source = previous.source_of(item)
        if source is None:
            continue
        for criterion in plan.survey.criteria:
            found = previous.ranges.get((source, criterion.id))
            if found is not None:
                ranges[(item.statement_id, criterion.id)] = found
    return ranges


def novelty(previous: PreviousRound | None, item: ItemInfo) -> Novelty | None:
    """How a statement that last round did not rate came about (``None`` for one it did,
    for seeded statements, and for everything in the first round of ratings)."""
    if item.origin in ("seeded", "reworded"):
        return None
    if previous is not None and previous.source_of(item) is not None:
        return None
    if item.origin != "proposed" and (previous is None or not previous.statements):
        return None
    earlier = []
    if previous is not None:
        for parent in item.parent_ids:
            if parent in previous.statements:
                earlier.append(previous.plan.item(parent).text)
    return Novelty(origin=item.origin, earlier=earlier)


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
    items: Sequence[ItemInfo],
    respondent_id: int | None,
    language: str,
    persuasive: frozenset[int],
    own: Mapping[Cell, int | None],
) -> dict[int, StatementFeedback]:
    """Feedback per statement id for those of ``items`` rated last round (or whose
    previous version was); ``persuasive`` are the reasons this panelist marked, ``own``
    their ratings last round."""
    if previous is None:
        return {}
    picks = choices(session, survey, previous, items, respondent_id, language)
    result: dict[int, StatementFeedback] = {}
    for item in items:
        source = previous.source_of(item)
        if source is None:
            continue
        entry = previous.statements[source]
        rated_text = previous.plan.item(source).text if source != item.statement_id else None
        if _withheld(entry, survey):
            result[item.statement_id] = StatementFeedback(
                round_number=previous.number,
                criteria=(),
                reasons=(),
                withheld=True,
                rated_text=rated_text,
            )
            continue
        criteria = []
        for criterion in survey.criteria:
            record = _record(entry, criterion)
            if record is None:
                continue
            cell = (source, criterion.id)
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
                    **_groups(entry, criterion, survey, language),
                )
            )
        if criteria:
            labels = {c.id: survey.text(c.label, language) for c in survey.criteria}
            records = {c.id: _record(entry, c) or {} for c in survey.criteria}
            result[item.statement_id] = StatementFeedback(
                round_number=previous.number,
                criteria=tuple(criteria),
                reasons=tuple(
                    ReasonBand(
                        criterion_label=labels[pick.criterion_id],
                        band=pick.band,
                        q1=float(records[pick.criterion_id]["q1"]),
                        q3=float(records[pick.criterion_id]["q3"]),
                        reasons=tuple(
                            ShownReason(
                                id=r.id,
                                text=r.text,
                                language=r.language,
                                foreign=r.language is not None and r.language != language,
                                persuasive=r.id in persuasive,
                                language_name=reason_language_name(r.language, language),
                            )
                            for r in pick.reasons
                        ),
                    )
                    for pick in picks.get(item.statement_id, [])
                ),
                rated_text=rated_text,
            )
    return result


def _groups(
    entry: dict[str, Any], criterion: CriterionInfo, survey: SurveyInfo, language: str
) -> dict[str, Any]:
    """The stakeholder-group figures of one statement and criterion, if the study shows
    them to panelists. The snapshot holds ``None`` for every group ``engine.by_group``
    suppressed (fewer than k raters, or revealed by subtraction): those stay hidden."""
    if not survey.group_feedback:
        return {}
    records = entry.get("groups", {}).get(criterion.key, {})
    shown = []
    for group in survey.stakeholder_groups:
        record = records.get(group["key"])
        if record and record.get("n"):
            shown.append(
                GroupFeedback(
                    label=survey.text(group["label"], language),
                    n=int(record["n"]),
                    median=record.get("median"),
                    q1=record.get("q1"),
                    q3=record.get("q3"),
                )
            )
    return {
        "groups": tuple(shown),
        "groups_hidden": len(shown) < len(survey.stakeholder_groups),
        "min_group_size": survey.min_group_size,
    }


def choices(
    session: Session,
    survey: SurveyInfo,
    previous: PreviousRound | None,
    items: Sequence[ItemInfo],
    respondent_id: int | None,
    language: str,
) -> dict[int, list[selection.Pick]]:
    """The reasons each of ``items`` shows this reader, by statement id of this round.

    Never the reader's own, never a hidden one, none for a statement withheld below k.
    """
    if previous is None:
        return {}
    ranked = selection.ranking(
        session, survey, previous.round_id, previous.computed_at, previous.statements
    )
    mine: set[int] = set()
    if respondent_id is not None:
        mine = set(
            session.scalars(
                select(Reason.id).where(
                    Reason.round_id == previous.round_id, Reason.respondent_id == respondent_id
                )
            )
        )
    criterion_ids = [c.id for c in survey.criteria]
    result: dict[int, list[selection.Pick]] = {}
    for item in items:
        source = previous.source_of(item)
        if source is None or _withheld(previous.statements[source], survey):
            continue
        picks = selection.choose(
            ranked.get(source, {}), criterion_ids, survey.reasons_per_band, language, mine
        )
        if picks:
            result[item.statement_id] = picks
    return result


def shown_reason_ids(
    session: Session,
    survey: SurveyInfo,
    previous: PreviousRound | None,
    items: Sequence[ItemInfo],
    respondent_id: int | None,
    language: str,
) -> set[int]:
    """Ids of every reason the questionnaire shows this reader."""
    picks = choices(session, survey, previous, items, respondent_id, language)
    return {r.id for chosen in picks.values() for pick in chosen for r in pick.reasons}


@lru_cache(maxsize=256)
def reason_language_name(code: str | None, language: str) -> str | None:
    """``code`` named in ``language`` ("French", "anglais"), or ``None`` if unknown."""
    if not code:
        return None
    try:
        return Locale.parse(code).get_display_name(i18n.locale(language))
    except (ValueError, UnknownLocaleError):
        return code
