"""The live figures of a real-time study, kept per process and updated answer by answer.

A thousand panelists answering at once must not each recompute the study. Every process
keeps, per live round, each respondent's current cells and one :class:`engine.LiveTally`
per criterion: a submit this process takes updates them in O(statements x scale points)
(:func:`record`), and answers other processes took are picked up by rebuilding from the
database once the figures are older than ``DELPHI_LIVE_MAX_AGE`` seconds (2 by default).
A page view reads the summaries, recomputed only when an answer changed the counts; a
submit needs only who may see what (:func:`counts`), which the tallies give as they
stand, without computing any summary.
The ranking criteria's cells (after the rating criteria's) are answered per topic, not
per statement: they count in the live ranking figures, never in a statement's answers.

Recording sets a respondent's whole current set, so a submit that a rebuild already
read is not counted twice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

import engine
from app.answers import live as live_answers
from app.answers.cells import CANNOT_JUDGE, UNANSWERED, ratings
from app.config import get_settings
from app.rankings import form as ranking_form
from app.rankings import metrics
from app.rounds.plan import RoundPlan

Key = tuple[str, int]


@dataclass(frozen=True)
class Counts:
    """How many answered a live round, per statement (round order) and ranking question:
    what the feedback thresholds read."""

    answered: npt.NDArray[np.int64]  # respondents who answered every rating criterion
    rated: tuple[npt.NDArray[np.int64], ...]  # per rating criterion: ratings given
    rankers: dict[tuple[str, str], int]  # (criterion key, topic key): panelists who ranked


@dataclass(frozen=True)
class Figures:
    """The panel's current answers to a live round, per statement (round order)."""

    counts: Counts
    summaries: tuple[engine.Summary, ...]  # one per rating criterion, plan order
    rankings: tuple[dict[str, Any], ...] = ()  # per ranking question, as a snapshot has them


@dataclass
class _Live:
    plan: RoundPlan
    tallies: list[engine.LiveTally]
    answered: npt.NDArray[np.int64]
    rankers: npt.NDArray[np.int64]  # per ranking group (ranking_form.groups order)
    sets: dict[int, npt.NDArray[np.int16]]
    built: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    figures: Figures | None = None


_rounds: dict[Key, _Live] = {}
_building: set[Key] = set()
_lock = threading.Lock()


def figures(session: Session, plan: RoundPlan) -> Figures:
    """The live figures of ``plan``'s round, at most ``live_max_age`` seconds behind."""
    live = _kept(session, plan)
    with live.lock:
        if live.figures is None:
            live.figures = _figures(live)
        return live.figures


def counts(session: Session, plan: RoundPlan) -> Counts:
    """The counts :func:`figures` would give, without computing the summaries."""
    live = _kept(session, plan)
    with live.lock:
        return live.figures.counts if live.figures is not None else _counts(live)


def _kept(session: Session, plan: RoundPlan) -> _Live:
    key = _key(session, plan)
    with _lock:
        live = _rounds.get(key)
        stale = live is None or time.monotonic() - live.built > get_settings().live_max_age
        # One thread rebuilds; the others meanwhile read the figures they have, if any.
        rebuild = stale and (live is None or key not in _building)
        if rebuild:
            _building.add(key)
    if rebuild:
        try:
            live = _build(session, plan)
            with _lock:
                _rounds[key] = live
        finally:
            with _lock:
                _building.discard(key)
    assert live is not None
    return live


def record(database: str, plan: RoundPlan, answers: live_answers.LiveSet) -> None:
    """Count a submit this process just committed to ``database`` (its URL); a no-op if
    the round's figures are not kept."""
    with _lock:
        live = _rounds.get((database, plan.round_id))
    if live is None:
        return
    with live.lock:
        empty = np.full_like(answers.cells, UNANSWERED)
        old = live.sets.get(answers.respondent_id, empty)
        new = answers.cells
        for c, tally in enumerate(live.tallies):
            for i in np.flatnonzero(old[:, c] != new[:, c]):
                before, after = _answer(int(old[i, c])), _answer(int(new[i, c]))
                if before is _NONE:
                    tally.add(int(i), after)
                elif after is _NONE:
                    tally.remove(int(i), before)
                else:
                    tally.change(int(i), before, after)
        width = len(plan.survey.criteria)
        live.answered += _complete(new, width).astype(np.int64) - _complete(old, width)
        live.rankers += _ranked(plan, new[np.newaxis])[0] - _ranked(plan, old[np.newaxis])[0]
        live.sets[answers.respondent_id] = new.copy()
        live.figures = None


def forget() -> None:
    """Drop every kept round (tests that rebuild databases under the same URL)."""
    with _lock:
        _rounds.clear()


_NONE = object()  # no answer, as opposed to None ("cannot judge")


def _answer(value: int) -> object:
    if value == UNANSWERED:
        return _NONE
    return None if value == CANNOT_JUDGE else value


def _complete(cells: npt.NDArray[np.int16], width: int) -> npt.NDArray[np.bool_]:
    """Per statement: every one of the ``width`` rating criteria answered (a rating or
    "cannot judge")."""
    done: npt.NDArray[np.bool_] = (cells[..., :width] != UNANSWERED).all(axis=-1)
    return done


def _ranked(plan: RoundPlan, cells: npt.NDArray[np.int16]) -> npt.NDArray[np.int64]:
    """Per answer set (respondents x statements x criteria) and ranking group: 1 if it
    placed a statement of the group."""
    width = len(plan.survey.criteria)
    column = {c.id: width + k for k, c in enumerate(plan.survey.rank_criteria)}
    rows = {sid: i for i, sid in enumerate(plan.statement_ids)}
    out = np.zeros((cells.shape[0], len(ranking_form.groups(plan))), dtype=np.int64)
    for g, group in enumerate(ranking_form.groups(plan)):
        placed = cells[
            :, [rows[item.statement_id] for item in group.items], column[group.criterion.id]
        ]
        out[:, g] = (placed > 0).any(axis=1)
    return out


def _counts(live: _Live) -> Counts:
    return Counts(
        answered=live.answered.copy(),
        rated=tuple(tally.counts.sum(axis=1) for tally in live.tallies),
        rankers={
            (g.criterion.key, g.topic_key): int(n)
            for g, n in zip(ranking_form.groups(live.plan), live.rankers, strict=True)
        },
    )


def _key(session: Session, plan: RoundPlan) -> Key:
    return (str(session.get_bind().engine.url), plan.round_id)


def _build(session: Session, plan: RoundPlan) -> _Live:
    read = live_answers.read(session, plan.round_id, plan.layout)
    tallies = []
    for c, criterion in enumerate(plan.survey.criteria):
        column = read.cells[:, :, c]
        ratings = column.astype(np.float64)
        ratings[column <= CANNOT_JUDGE] = np.nan
        scale = engine.Scale(criterion.scale_low, criterion.scale_high)
        if not len(read.respondent_ids):  # nobody yet: the engine refuses an empty matrix
            tallies.append(engine.LiveTally(scale, len(plan.statement_ids)))
            continue
        tallies.append(
            engine.LiveTally.from_ratings(
                ratings, scale, cannot_judge=np.count_nonzero(column == CANNOT_JUDGE, axis=0)
            )
        )
    return _Live(
        plan=plan,
        tallies=tallies,
        answered=_complete(read.cells, len(plan.survey.criteria)).sum(axis=0).astype(np.int64),
        rankers=_ranked(plan, read.cells).sum(axis=0).astype(np.int64),
        sets={int(r): read.cells[k].copy() for k, r in enumerate(read.respondent_ids)},
        built=time.monotonic(),
    )


def _figures(live: _Live) -> Figures:
    method = live.plan.survey.method
    summaries = tuple(
        tally.summary(
            quantile_method=method.get("quantile_method", "weibull"),
            agree=(criterion.agree_low, criterion.agree_high),
            disagree=(criterion.disagree_low, criterion.disagree_high),
            cannot_judge_counts=bool(method.get("cannot_judge_counts", False)),
        )
        for tally, criterion in zip(live.tallies, live.plan.survey.criteria, strict=True)
    )
    return Figures(counts=_counts(live), summaries=summaries, rankings=_rankings(live))


def _rankings(live: _Live) -> tuple[dict[str, Any], ...]:
    """Every ranking question's figures over the current rankings, computed as a round
    close computes them (who sees which is the page's business)."""
    plan = live.plan
    if not plan.survey.rank_criteria:
        return ()
    ids = sorted(live.sets)
    shape = (0, len(plan.statement_ids), len(plan.layout.criterion_ids))
    cells = np.stack([live.sets[r] for r in ids]) if ids else np.empty(shape, np.int16)
    width = len(plan.survey.criteria)
    data = metrics.RoundPositions(
        ids,
        list(plan.statement_ids),
        {c.id: ratings(cells[:, :, width + k]) for k, c in enumerate(plan.survey.rank_criteria)},
    )
    return tuple(
        metrics.question_metrics(
            metrics.RankingQuestion(
                criterion_id=g.criterion.id,
                criterion_key=g.criterion.key,
                top=g.criterion.rank_top,
                topic_key=g.topic_key,
                statement_ids=[item.statement_id for item in g.items],
                statement_keys=[item.key for item in g.items],
            ),
            data,
            None,
            plan.survey.min_group_size,
        )
        for g in ranking_form.groups(plan)
    )
