"""A closed round's ranking questions as the snapshot stores them.

A ranking criterion orders the statements of each topic on the round, so each
(criterion, topic) pair is one ranking question: Kendall's W with Friedman's chi-square,
each statement's mean rank and the positions it was given; from the second round on,
the change of W and how stable each panelist's own ranking was (their Spearman rho with
the ranking they gave last round), reported as a distribution, never per panelist.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import engine

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RoundPositions:
    """Submitted positions of one round: per ranking criterion a (respondents x
    statements) matrix, NaN where a statement was not placed."""

    respondent_ids: list[int]
    statement_ids: list[int]
    positions: dict[int, FloatArray]  # criterion id -> matrix


@dataclass(frozen=True)
class RankingQuestion:
    """One ranking criterion applied to one topic of the round."""

    criterion_id: int
    criterion_key: str
    top: int | None
    topic_key: str
    statement_ids: list[int]  # on the round, page order
    statement_keys: list[str]


def places(top: int | None, statements: int) -> int:
    """Positions a ranking of ``statements`` gives: all of them, or its top N."""
    return statements if top is None else min(top, statements)


def _reranked(x: FloatArray) -> FloatArray:
    """Positions renumbered within the columns kept: a row's order and ties stay, each
    placed value becomes 1 + the number of placed values ahead of it."""
    ahead = (x[:, np.newaxis, :] < x[:, :, np.newaxis]).sum(axis=2).astype(np.float64)
    return np.where(np.isnan(x), np.nan, ahead + 1.0)


def _columns(data: RoundPositions, criterion_id: int, statement_ids: Sequence[int]) -> FloatArray:
    index = {sid: j for j, sid in enumerate(data.statement_ids)}
    return data.positions[criterion_id][:, [index[sid] for sid in statement_ids]]


def _on(data: RoundPositions, rows: list[int], matrix: FloatArray) -> FloatArray:
    """``matrix`` (``data``'s respondents) laid out on the respondents ``rows``."""
    out = np.full((len(rows), matrix.shape[1]), np.nan)
    row_of = {rid: i for i, rid in enumerate(data.respondent_ids)}
    pairs = [(i, row_of[rid]) for i, rid in enumerate(rows) if rid in row_of]
    if pairs:
        target, source = np.array(pairs).T
        out[target] = matrix[source]
    return out


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def question_metrics(
    question: RankingQuestion,
    data: RoundPositions,
    previous: RoundPositions | None,
    min_group_size: int,
) -> dict[str, Any]:
    """The stored figures of one ranking question (JSON-safe).

    The stability figures (quartiles of the panelists' Spearman rho) are given only when
    at least ``min_group_size`` panelists ranked in both rounds: fewer would come close
    to describing individuals.
    """
    x = _columns(data, question.criterion_id, question.statement_ids)
    if x.shape[0] == 0:  # nobody submitted: one row without positions, no ranker
        x = np.full((1, x.shape[1]), np.nan)
    summary = engine.rank_summary(x)
    k = places(question.top, len(question.statement_ids))
    result: dict[str, Any] = {
        "criterion": question.criterion_key,
        "topic": question.topic_key,
        "top": question.top,
        "places": k,
        "rankers": summary.rankers,
        "w": _num(summary.kendall.w),
        "chi2": _num(summary.kendall.chi2),
        "df": int(summary.kendall.df),
        "p": _num(summary.kendall.pvalue),
        "statements": [
            {
                "statement_id": sid,
                "key": key,
                "mean_rank": _num(summary.mean_rank[j]),
                "distribution": [int(v) for v in summary.distribution[j, :k]],
                "unplaced": int(summary.unplaced[j]),
            }
            for j, (sid, key) in enumerate(
                zip(question.statement_ids, question.statement_keys, strict=True)
            )
        ],
        "change": None,
    }
    if previous is None or question.criterion_id not in previous.positions:
        return result
    shared = [sid for sid in question.statement_ids if sid in set(previous.statement_ids)]
    if len(shared) < 2:
        return result
    rows = sorted(set(data.respondent_ids) | set(previous.respondent_ids))
    if not rows:
        return result
    before = _reranked(_on(previous, rows, _columns(previous, question.criterion_id, shared)))
    after = _reranked(_on(data, rows, _columns(data, question.criterion_id, shared)))
    change = engine.rank_change(before, after)
    rho = change.spearman[~np.isnan(change.spearman)]
    shown = rho.size >= min_group_size
    quartiles = np.quantile(rho, [0.25, 0.5, 0.75]) if shown else None
    result["change"] = {
        "statements": len(shared),
        "w_before": _num(change.before.kendall.w),
        "w_after": _num(change.after.kendall.w),
        "w_change": _num(change.w_change),
        "panelists": change.both,
        "spearman_q1": _num(quartiles[0]) if quartiles is not None else None,
        "spearman_median": _num(quartiles[1]) if quartiles is not None else None,
        "spearman_q3": _num(quartiles[2]) if quartiles is not None else None,
        "spearman_mean": _num(rho.mean()) if shown else None,
    }
    return result


def round_metrics(
    questions: Sequence[RankingQuestion],
    data: RoundPositions,
    previous: RoundPositions | None,
    min_group_size: int,
) -> list[dict[str, Any]]:
    """Every ranking question of the round, in criterion then topic order."""
    return [question_metrics(q, data, previous, min_group_size) for q in questions]
