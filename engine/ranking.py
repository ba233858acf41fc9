"""Ranking questions: "order these strategies by priority" (ranking-type Delphi).

Each panelist orders the items of a topic, fully or by picking and ordering their
top N. A round is summarised by how far the panel agrees on the order (Kendall's W
with Friedman's chi-square), each item's mean rank and the distribution of the
positions it was given; between rounds by the change of W and by each panelist's
rank correlation with their own previous ranking (stability).

Conventions shared by the functions here: ``rankings`` is a ``(panelists, items)``
array of *positions*, 1 the top; NaN marks an item the panelist did not place (the
rest of a top-N ranking). Only the order of a row's positions matters: equal
positions are ties, and the tie convention (1, 2, 2, 4 or 1, 2, 2, 3) does not
change any figure. A row with no position at all (a panelist who did not rank) is
left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._counting import average_ranks
from engine._validate import as_matrix
from engine.reliability import KendallW, kendalls_w

__all__ = ["RankChange", "RankSummary", "complete_rankings", "rank_change", "rank_summary"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Rows per block of the pairwise comparisons of Kendall's tau (memory stays bounded).
_PAIR_CELLS = 1 << 20


def _positions(rankings: Any, name: str = "rankings") -> FloatArray:
    x = as_matrix(rankings, name)
    present = x[~np.isnan(x)]
    items = x.shape[1]
    off = (present < 1) | (present > items) | (present != np.round(present))
    if off.any():
        raise ValueError(
            f"{name} must hold positions 1..{items} (one column per item) or NaN for an "
            f"item not placed; got {present[off][0]:g}"
        )
    return x


def _complete(x: FloatArray) -> FloatArray:
    """Average ranks within each row; unplaced items share the places below the placed."""
    rows, items = x.shape
    placed = ~np.isnan(x)
    codes = np.where(placed, x, 0).astype(np.intp) - 1  # position - 1, or -1 (unused)
    counts = np.zeros((rows, items), dtype=np.int64)
    row_index = np.repeat(np.arange(rows), items).reshape(rows, items)
    np.add.at(counts, (row_index[placed], codes[placed]), 1)
    by_position = average_ranks(counts)  # average rank of each position value in its row
    ranks = np.take_along_axis(by_position, np.maximum(codes, 0), axis=1)
    number = placed.sum(axis=1)
    bottom = (number + 1.0 + items) / 2.0  # mean of the places number+1 .. items
    return np.where(placed, ranks, bottom[:, np.newaxis])


def complete_rankings(rankings: npt.ArrayLike) -> FloatArray:
    """Each panelist's positions as full rankings with ties averaged.

    Parameters
    ----------
    rankings : array_like, shape (panelists, items)
        Positions, 1 the top; NaN for an item not placed.

    Returns
    -------
    numpy.ndarray of float64, shape (panelists, items)
        Ranks 1..items per row, summing to ``items (items + 1) / 2``. Rows without
        any position stay all-NaN.

    Notes
    -----
    A row's placed items are ranked by their positions, tied positions sharing the
    mean of the places they span (``scipy.stats.rankdata(method="average")``). The
    ``u`` items a top-N ranking leaves unplaced are tied below all placed ones and
    each gets ``(items - u + 1 + items) / 2``, the mean of the last ``u`` places:
    the panelist said they are not in the top N, and nothing about their order.

    References
    ----------
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric statistical
    techniques. *Decision Sciences* 28(3), 763-774.

    Examples
    --------
    >>> complete_rankings([[2, 1, np.nan, np.nan], [1, 1, 3, 4]]).tolist()
    [[2.0, 1.0, 3.5, 3.5], [1.5, 1.5, 3.0, 4.0]]
    """
    x = _positions(rankings)
    answered = ~np.isnan(x).all(axis=1)
    result = np.full(x.shape, np.nan)
    result[answered] = _complete(x[answered])
    return result


@dataclass(frozen=True, eq=False)
class RankSummary:
    """A round of a ranking question (see :func:`rank_summary`)."""

    rankers: int
    """Panelists who placed at least one item."""
    mean_rank: FloatArray
    """Mean completed rank per item, shape (items,); NaN without rankers."""
    distribution: IntArray
    """``distribution[i, p - 1]``: panelists who gave item ``i`` position ``p``, shape
    (items, items)."""
    unplaced: IntArray
    """Rankers who left item ``i`` unplaced (outside their top N), shape (items,)."""
    kendall: KendallW
    """Kendall's W with Friedman's chi-square, on the completed rankings."""


def rank_summary(rankings: npt.ArrayLike) -> RankSummary:
    r"""Concordance, mean ranks and position counts of one round's rankings.

    Parameters
    ----------
    rankings : array_like, shape (panelists, items)
        Positions, 1 the top; NaN for an item not placed. Rows without any position
        are left out.

    Returns
    -------
    RankSummary
        ``rankers``, ``mean_rank``, ``distribution``, ``unplaced`` and ``kendall``
        (a :class:`~engine.reliability.KendallW`: ``w``, ``chi2``, ``df``,
        ``pvalue``, ``raters``, ``objects``, ``dropped``).

    Notes
    -----
    Rankings are first completed (:func:`complete_rankings`): ties averaged, the
    items a top-N ranking leaves out tied below the rest. With ``m`` rankers, ``n``
    items and ``R_j`` the sum of item ``j``'s completed ranks,

    .. math::

        W = \frac{12 \sum_j (R_j - m (n + 1) / 2)^2}{m^2 (n^3 - n) - m \sum_i T_i},
        \qquad \chi^2 = m (n - 1) W, \qquad df = n - 1

    with ``T_i = sum (t^3 - t)`` over rater ``i``'s groups of tied ranks (the
    unplaced items form one such group). ``chi2`` is Friedman's tie-corrected
    statistic (``scipy.stats.friedmanchisquare`` on the completed ranks) and the
    p-value its chi-square upper tail. :func:`engine.kendalls_w` handles ties the same
    way but drops every rater with a missing value, which would drop every top-N
    ranking; here they take part. ``mean_rank[j] = R_j / m``.
    ``distribution`` counts the positions as given (ties at their given position);
    its rows plus ``unplaced`` sum to ``rankers``.

    References
    ----------
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings. *Annals
    of Mathematical Statistics* 10(3), 275-287.
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric statistical
    techniques. *Decision Sciences* 28(3), 763-774.
    Siegel, S. & Castellan, N. J. (1988). *Nonparametric Statistics for the Behavioral
    Sciences*, 2nd ed., section 9.4.

    Examples
    --------
    Ten projects ranked by four judges (Siegel & Castellan's layout; judges are the
    rows of the transpose), W = 0.7939:

    >>> import numpy as np
    >>> projects = np.array([[1, 2, 3, 4], [3, 1, 2, 2], [4, 4, 1, 3], [5, 5, 5, 1],
    ...                      [2, 6, 7, 6], [8, 3, 4, 7], [6, 8, 6, 5], [7, 7, 8, 9],
    ...                      [10, 10, 9, 8], [9, 9, 10, 10]])
    >>> res = rank_summary(projects.T)
    >>> print(f"W = {res.kendall.w:.4f}, chi2 = {res.kendall.chi2:.3f}, df = {res.kendall.df}")
    W = 0.7939, chi2 = 28.582, df = 9
    >>> res.mean_rank[:3].tolist()
    [2.5, 2.0, 3.0]

    Top-2 rankings of four items:

    >>> nan = np.nan
    >>> top2 = rank_summary([[1, 2, nan, nan], [2, 1, nan, nan], [1, nan, 2, nan]])
    >>> top2.mean_rank.tolist(), top2.unplaced.tolist()
    ([1.3333333333333333, 2.1666666666666665, 3.0, 3.5], [0, 1, 2, 3])
    """
    x = _positions(rankings)
    answered = ~np.isnan(x).all(axis=1)
    completed = _complete(x[answered])
    rankers, items = completed.shape
    placed = ~np.isnan(x[answered])
    distribution = np.zeros((items, items), dtype=np.int64)
    columns = np.broadcast_to(np.arange(items), placed.shape)
    np.add.at(distribution, (columns[placed], x[answered][placed].astype(np.intp) - 1), 1)
    if rankers:
        kendall = kendalls_w(completed)
        mean_rank = completed.mean(axis=0)
    else:
        kendall = KendallW(np.nan, np.nan, items - 1, np.nan, 0, items, 0)
        mean_rank = np.full(items, np.nan)
    return RankSummary(
        rankers=int(rankers),
        mean_rank=mean_rank,
        distribution=distribution,
        unplaced=(rankers - placed.sum(axis=0)).astype(np.int64),
        kendall=kendall,
    )


@dataclass(frozen=True, eq=False)
class RankChange:
    """Change of a ranking question between two rounds (see :func:`rank_change`)."""

    before: RankSummary
    """:func:`rank_summary` of the earlier round."""
    after: RankSummary
    """:func:`rank_summary` of the later round."""
    w_change: float
    """``after.kendall.w - before.kendall.w``: positive when the panel converged."""
    mean_rank_shift: FloatArray
    """``after.mean_rank - before.mean_rank`` per item (negative: moved up)."""
    spearman: FloatArray
    """Each panelist's Spearman rho between their two completed rankings, shape
    (panelists,); NaN when they did not rank in both rounds or tied every item."""
    kendall_tau: FloatArray
    """Each panelist's Kendall tau-b between their two completed rankings."""
    both: int
    """Panelists who ranked in both rounds."""


def _row_spearman(a: FloatArray, b: FloatArray) -> FloatArray:
    da = a - a.mean(axis=1, keepdims=True)
    db = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt(np.einsum("ij,ij->i", da, da) * np.einsum("ij,ij->i", db, db))
    rho = np.full(a.shape[0], np.nan)
    np.divide(np.einsum("ij,ij->i", da, db), denominator, out=rho, where=denominator > 0)
    clipped: FloatArray = np.clip(rho, -1.0, 1.0)
    return clipped


def _row_kendall_tau(a: FloatArray, b: FloatArray) -> FloatArray:
    rows, items = a.shape
    first, second = np.triu_indices(items, k=1)
    tau = np.full(rows, np.nan)
    step = max(1, _PAIR_CELLS // max(first.size, 1))
    for start in range(0, rows, step):
        block = slice(start, start + step)
        sa = np.sign(a[block, first] - a[block, second])
        sb = np.sign(b[block, first] - b[block, second])
        untied = np.sqrt(np.abs(sa).sum(axis=1) * np.abs(sb).sum(axis=1))
        np.divide((sa * sb).sum(axis=1), untied, out=tau[block], where=untied > 0)
    clipped: FloatArray = np.clip(tau, -1.0, 1.0)
    return clipped


def rank_change(before: npt.ArrayLike, after: npt.ArrayLike) -> RankChange:
    r"""How a ranking question moved between two rounds, panel-wide and per panelist.

    Parameters
    ----------
    before, after : array_like, shape (panelists, items)
        Positions in the earlier and the later round (1 the top, NaN not placed),
        rows the same panelists and columns the same items; a row without any
        position is a panelist who did not rank in that round.

    Returns
    -------
    RankChange
        ``before`` and ``after`` (:class:`RankSummary` of each round on its own
        rankers), ``w_change``, ``mean_rank_shift``, per panelist ``spearman`` and
        ``kendall_tau``, and ``both`` (panelists who ranked in both rounds).

    Notes
    -----
    Per panelist, on the completed rankings (:func:`complete_rankings`) ``x`` and
    ``y``: Spearman's ``rho = sum (x - xbar)(y - ybar) / sqrt(sum (x - xbar)^2
    sum (y - ybar)^2)``, the Pearson correlation of the ranks (with ties, as
    ``scipy.stats.spearmanr``), and Kendall's
    ``tau_b = (C - D) / sqrt((P - T_x)(P - T_y))`` over the ``P = n (n - 1) / 2``
    item pairs, ``C``/``D`` the concordant/discordant pairs and ``T`` the pairs tied
    in one ranking (as ``scipy.stats.kendalltau``). Both are 1 for an unchanged
    ranking and NaN when either round's ranking ties every item. Values near 1 for
    most panelists mean the rankings are stable and another round is unlikely to
    change them.

    References
    ----------
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric statistical
    techniques. *Decision Sciences* 28(3), 763-774.
    Kendall, M. G. (1945). The treatment of ties in ranking problems. *Biometrika*
    33(3), 239-251.

    Examples
    --------
    >>> before = [[1, 2, 3], [1, 3, 2], [3, 1, 2]]
    >>> after = [[1, 2, 3], [1, 2, 3], [np.nan, np.nan, np.nan]]
    >>> res = rank_change(before, after)
    >>> round(res.w_change, 4), res.spearman.tolist(), res.both
    (0.8889, [1.0, 0.5, nan], 2)
    """
    a = _positions(before, "before")
    b = _positions(after, "after")
    if a.shape != b.shape:
        raise ValueError(
            "before and after must have the same shape (rows the same panelists, columns "
            f"the same items); got {a.shape} and {b.shape}"
        )
    first, second = rank_summary(a), rank_summary(b)
    x, y = complete_rankings(a), complete_rankings(b)
    both = ~np.isnan(x).all(axis=1) & ~np.isnan(y).all(axis=1)
    spearman = np.full(a.shape[0], np.nan)
    tau = np.full(a.shape[0], np.nan)
    spearman[both] = _row_spearman(x[both], y[both])
    tau[both] = _row_kendall_tau(x[both], y[both])
    return RankChange(
        before=first,
        after=second,
        w_change=float(second.kendall.w - first.kendall.w),
        mean_rank_shift=second.mean_rank - first.mean_rank,
        spearman=spearman,
        kendall_tau=tau,
        both=int(both.sum()),
    )
