"""Which of last round's reasons a panelist reads next to a statement.

Per statement, criterion and band (below, within or above last round's middle range, by
the writer's own rating on that criterion) up to the study's ``reasons_per_band``
reasons, chosen for coverage:

1. Near-duplicates are merged: reasons whose texts are nearly the same (TF-IDF cosine
   at least :data:`app.reasons.text.NEAR_DUPLICATE`) count once.
2. The most representative first: a reason's score is its mean similarity to the other
   reasons of its band; then each next choice trades that score against similarity to
   what is already chosen (maximal marginal relevance), so different arguments are
   heard rather than one argument several times.
3. The reader's own language is preferred: of the choices, those with a version in the
   page's language come first, the rest fill the remaining places.

The ranking does not depend on the reader, so it is computed once per process for a
closed round (and again after a moderation change); the reader's own reasons and the
reasons already shown under another criterion are skipped when picking.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.models import Reason, Response
from app.reasons import text
from app.reasons.bands import RANGE_BANDS, RangeBand, range_band
from app.rounds.plan import SurveyInfo

# Weight of representativeness against novelty in maximal marginal relevance.
RELEVANCE = 0.7
KEPT = 64


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str
    language: str | None


Cluster = tuple[Candidate, ...]  # near-duplicates, most representative first
# statement id -> criterion id -> band -> clusters in the order they are offered
Ranking = dict[int, dict[int, dict[RangeBand, tuple[Cluster, ...]]]]


@dataclass(frozen=True)
class Pick:
    criterion_id: int
    band: RangeBand
    reasons: tuple[Candidate, ...]


_kept: OrderedDict[tuple[Any, ...], Ranking] = OrderedDict()
_lock = threading.Lock()


def ranking(
    session: Session,
    survey: SurveyInfo,
    round_id: int,
    computed_at: object,
    entries: dict[int, dict[str, Any]],
) -> Ranking:
    """The reader-independent ranking of closed round ``round_id``'s visible reasons."""
    hidden = frozenset(
        session.scalars(
            select(Reason.id).where(Reason.round_id == round_id, Reason.hidden_cause.is_not(None))
        )
    )
    key = (str(session.get_bind().engine.url), round_id, str(computed_at), hidden)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    result = _rank(session, survey, round_id, entries)
    with _lock:
        _kept[key] = result
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return result


def _rank(
    session: Session, survey: SurveyInfo, round_id: int, entries: dict[int, dict[str, Any]]
) -> Ranking:
    rows = session.execute(
        select(
            Reason.id,
            Reason.statement_id,
            Reason.text,
            Reason.language,
            Response.criterion_id,
            Response.rating,
        )
        .join(
            Response,
            and_(
                Response.round_id == Reason.round_id,
                Response.respondent_id == Reason.respondent_id,
                Response.statement_id == Reason.statement_id,
            ),
        )
        .where(Reason.round_id == round_id, Reason.hidden_cause.is_(None))
        .order_by(Reason.statement_id, Reason.id)
    ).all()
    reasons: dict[int, dict[int, Candidate]] = {}
    ratings: dict[int, dict[int, int | None]] = {}
    for reason_id, statement_id, body, language, criterion_id, rating in rows:
        reasons.setdefault(statement_id, {})[reason_id] = Candidate(reason_id, body, language)
        ratings.setdefault(reason_id, {})[criterion_id] = rating
    everything = [c for by_id in reasons.values() for c in by_id.values()]
    position = {c.id: i for i, c in enumerate(everything)}
    space = text.Space([c.text for c in everything])
    result: Ranking = {}
    for statement_id, by_id in reasons.items():
        entry = entries.get(statement_id)
        if entry is None:
            continue
        candidates = list(by_id.values())
        similar = space.similarity([position[c.id] for c in candidates])
        per_criterion: dict[int, dict[RangeBand, tuple[Cluster, ...]]] = {}
        for criterion in survey.criteria:
            record = entry.get("criteria", {}).get(criterion.key)
            members: dict[RangeBand, list[int]] = {}
            for i, candidate in enumerate(candidates):
                band = range_band(ratings[candidate.id].get(criterion.id), record)
                if band is not None:
                    members.setdefault(band, []).append(i)
            per_criterion[criterion.id] = {
                band: clusters(candidates, similar, members[band])
                for band in RANGE_BANDS
                if band in members
            }
        result[statement_id] = per_criterion
    return result


def clusters(
    candidates: list[Candidate], similar: np.ndarray, members: list[int]
) -> tuple[Cluster, ...]:
    """``candidates[members]`` as near-duplicate clusters, most representative member
    first, the clusters in maximal-marginal-relevance order (``similar``: cosine of every
    pair of candidates)."""
    # Rounded, so that the order the reasons come in cannot tip a tie by a last bit.
    block = np.round(similar[np.ix_(members, members)], 9)
    size = len(members)
    score = np.round((block.sum(axis=1) - 1) / (size - 1), 9) if size > 1 else np.ones(1)
    ids = np.array([candidates[m].id for m in members])
    order = np.lexsort((ids, -score))
    normal = [_normal(candidates[m].text) for m in members]
    heads: list[int] = []
    groups: list[list[int]] = []
    for i in order:
        if heads:
            close = (block[i, heads] >= text.NEAR_DUPLICATE) | np.array(
                [normal[h] == normal[i] for h in heads]
            )
            if close.any():
                groups[int(np.argmax(close))].append(int(i))
                continue
        heads.append(int(i))
        groups.append([int(i)])
    # Maximal marginal relevance over the group heads, one vectorised step per pick.
    head = np.array(heads)
    relevance = RELEVANCE * score[head]
    overlap = np.zeros(len(head))
    left = np.ones(len(head), dtype=bool)
    ranked: list[list[int]] = []
    for _ in range(len(head)):
        value = np.where(left, relevance - (1 - RELEVANCE) * overlap, -np.inf)
        best = np.flatnonzero(value == value.max())
        pick = int(best[np.argmin(ids[head[best]])])
        ranked.append(groups[pick])
        left[pick] = False
        overlap = np.maximum(overlap, block[head, head[pick]])
    return tuple(tuple(candidates[members[i]] for i in group) for group in ranked)


def _normal(body: str) -> str:
    return " ".join(body.casefold().split())


def choose(
    ranked: dict[int, dict[RangeBand, tuple[Cluster, ...]]],
    criterion_ids: Iterable[int],
    per_band: int,
    language: str,
    exclude: Iterable[int] = (),
) -> list[Pick]:
    """The reasons one reader sees on one statement: per criterion and band, up to
    ``per_band``, preferring ``language``; never one in ``exclude`` (their own), and
    never one (or a near-duplicate of one) already picked under an earlier criterion."""
    used = set(exclude)
    picks: list[Pick] = []
    if per_band <= 0:
        return picks
    for criterion_id in criterion_ids:
        for band in RANGE_BANDS:
            options: list[tuple[Candidate, bool, Cluster]] = []
            for cluster in ranked.get(criterion_id, {}).get(band, ()):
                if any(member.id in used for member in cluster):
                    continue
                own = [m for m in cluster if m.language == language]
                options.append((own[0] if own else cluster[0], bool(own), cluster))
            preferred = [o for o in options if o[1]][:per_band]
            rest = [o for o in options if not o[1]][: per_band - len(preferred)]
            shown = tuple(o[0] for o in preferred + rest)
            for option in preferred + rest:
                used.update(member.id for member in option[2])
            if shown:
                picks.append(Pick(criterion_id=criterion_id, band=band, reasons=shown))
    return picks
