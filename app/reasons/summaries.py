"""Extractive summaries of a closed round's reasons, per statement, criterion and band.

For each band (below, within, above the round's middle range, or the criterion's
disagree, neutral and agree bands) a summary gives how many reasons fall in it, the most
representative ones (near-duplicates merged, ordered for coverage exactly as the
panelists' feedback is: :func:`app.reasons.selection.clusters`) and the key terms
(TF-IDF fitted on the round's reasons, stop words removed: :class:`app.reasons.text.Terms`).
Only visible reasons are summarised. No step is random and no model is downloaded, so
the same reasons give the same summary on any machine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models import Round, Survey
from app.reasons import text
from app.reasons.bands import BandKind, bands_of
from app.reasons.selection import Candidate, clusters
from app.reasons.service import RoundReason, round_reasons, snapshot_or_raise

REPRESENTATIVE = 3
KEY_TERMS = 5
KEPT = 32


@dataclass(frozen=True)
class BandSummary:
    criterion: str  # criterion key
    kind: BandKind
    band: str
    count: int
    representative: list[str]
    key_terms: list[str]


@dataclass(frozen=True)
class StatementSummary:
    statement_id: int
    count: int  # visible reasons of the statement
    bands: list[BandSummary]

    def of(self, criterion: str, kind: BandKind) -> list[BandSummary]:
        return [b for b in self.bands if b.criterion == criterion and b.kind == kind]


_kept: OrderedDict[tuple[Any, ...], dict[int, StatementSummary]] = OrderedDict()
_lock = threading.Lock()


def of_round(session: Session, survey: Survey, round_: Round) -> dict[int, StatementSummary]:
    """The summaries of closed ``round_``'s visible reasons, by statement id.

    Kept per process until the round's snapshot or its moderation changes.
    """
    reasons = round_reasons(session, survey, round_)
    snapshot = snapshot_or_raise(session, survey, round_)
    key = (
        str(session.get_bind().engine.url),
        round_.id,
        str(snapshot.computed_at),
        frozenset(r.id for r in reasons),
    )
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    result = summarize(survey, reasons)
    with _lock:
        _kept[key] = result
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return result


def summarize(
    survey: Survey,
    reasons: Sequence[RoundReason],
    *,
    kinds: Sequence[BandKind] = ("range", "scale"),
    representative: int = REPRESENTATIVE,
    terms: int = KEY_TERMS,
) -> dict[int, StatementSummary]:
    """Summaries of ``reasons`` (one round's, visible ones) by statement id."""
    by_statement: dict[int, list[RoundReason]] = {}
    for reason in reasons:
        if not reason.hidden:
            by_statement.setdefault(reason.statement_id, []).append(reason)
    # One fit for the whole round: terms common to every statement's reasons weigh little.
    everything = [r for items in by_statement.values() for r in items]
    position = {r.id: i for i, r in enumerate(everything)}
    space = text.Space([r.text for r in everything])
    weighed = text.Terms([r.text for r in everything], [r.language for r in everything])
    result = {}
    for statement_id, items in by_statement.items():
        similar = space.similarity([position[r.id] for r in items])
        candidates = [Candidate(r.id, r.text, r.language) for r in items]
        bands = []
        for criterion in survey.criteria:
            for kind in kinds:
                for band in bands_of(kind):
                    members = [
                        i for i, r in enumerate(items) if _band(r, criterion.key, kind) == band
                    ]
                    if not members:
                        continue
                    ranked = clusters(candidates, similar, members)
                    bands.append(
                        BandSummary(
                            criterion=criterion.key,
                            kind=kind,
                            band=band,
                            count=len(members),
                            representative=[c[0].text for c in ranked[:representative]],
                            key_terms=weighed.top([position[items[i].id] for i in members], terms),
                        )
                    )
        result[statement_id] = StatementSummary(statement_id, len(items), bands)
    return result


def _band(reason: RoundReason, criterion: str, kind: BandKind) -> str | None:
    rating = reason.ratings.get(criterion)
    if rating is None:
        return None
    return rating.range_band if kind == "range" else rating.scale_band
