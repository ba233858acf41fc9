"""The live figures of a real-time study, kept per process and updated answer by answer.

A thousand panelists answering at once must not each recompute the study. Every process
keeps, per live round, each respondent's current cells and one :class:`engine.LiveTally`
per criterion: a submit this process takes updates them in O(statements x scale points)
(:func:`record`), and answers other processes took are picked up by rebuilding from the
database once the figures are older than ``DELPHI_LIVE_MAX_AGE`` seconds (2 by default).
A page view reads the summaries, recomputed only when an answer changed the counts.

Recording sets a respondent's whole current set, so a submit that a rebuild already
read is not counted twice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

import engine
from app.answers import live as live_answers
from app.answers.cells import CANNOT_JUDGE, UNANSWERED
from app.config import get_settings
from app.rounds.plan import RoundPlan

Key = tuple[str, int]


@dataclass(frozen=True)
class Figures:
    """The panel's current answers to a live round, per statement (round order)."""

    answered: npt.NDArray[np.int64]  # respondents who answered every criterion
    summaries: tuple[engine.Summary, ...]  # one per criterion, plan order


@dataclass
class _Live:
    plan: RoundPlan
    tallies: list[engine.LiveTally]
    answered: npt.NDArray[np.int64]
    sets: dict[int, npt.NDArray[np.int16]]
    built: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    figures: Figures | None = None


_rounds: dict[Key, _Live] = {}
_building: set[Key] = set()
_lock = threading.Lock()


def figures(session: Session, plan: RoundPlan) -> Figures:
    """The live figures of ``plan``'s round, at most ``live_max_age`` seconds behind."""
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
    with live.lock:
        if live.figures is None:
            live.figures = _figures(live)
        return live.figures


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
        live.answered += _complete(new).astype(np.int64) - _complete(old)
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


def _complete(cells: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """Per statement: every criterion answered (a rating or "cannot judge")."""
    done: npt.NDArray[np.bool_] = (cells != UNANSWERED).all(axis=-1)
    return done


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
        answered=_complete(read.cells).sum(axis=0).astype(np.int64),
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
    return Figures(answered=live.answered.copy(), summaries=summaries)
