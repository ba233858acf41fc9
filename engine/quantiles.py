"""Sample quantiles of each statement, computed from rating counts, and the median's CI.

Ratings on a Delphi scale are small integers, so quantiles are read off the
cumulative counts per scale point rather than from sorting the raw ratings
(:class:`_OrderStatistics`). They follow :func:`numpy.quantile`'s ``method`` names
exactly (the nine Hyndman-Fan definitions plus ``lower``, ``higher``, ``midpoint``
and ``nearest``); ``weibull`` (Hyndman-Fan type 6, what SPSS reports) is the default.

Conventions shared with the rest of the per-statement statistics
(:mod:`engine.descriptive`): ``ratings`` is a ``(respondents, statements)`` array, a
1-D array is one statement; ``NaN`` marks a missing answer or "cannot judge" and is
left out of ``n`` and of every statistic; a statement with no ratings gets ``NaN``
results and no warning.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine._counting import NotIntegerGrid, column_counts
from engine._validate import as_matrix, check_choice
from engine.methods import QUANTILE_METHODS, QuantileMethod

__all__ = ["MedianCI", "Quartiles", "median_ci", "quartiles"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# Hyndman & Fan (1996) continuous sample quantiles: (alpha, beta) plotting positions,
# written exactly as numpy writes them so the virtual index rounds identically.
_ALPHA_BETA: dict[str, tuple[float, float]] = {
    "interpolated_inverted_cdf": (0, 1),
    "hazen": (0.5, 0.5),
    "weibull": (0, 0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}

# Beyond this range integer ratings are quantiled by sorting instead of counting.
_MAX_COUNT_RANGE = 4096


class Quartiles(NamedTuple):
    """Per-statement quartiles: arrays of shape ``(statements,)``."""

    q1: FloatArray
    median: FloatArray
    q3: FloatArray


class MedianCI(NamedTuple):
    """Distribution-free confidence interval of the median, per statement."""

    low: FloatArray
    high: FloatArray
    coverage: FloatArray


class _OrderStatistics:
    """The ascending order statistics of each column, without materialising them.

    From counts: the i-th smallest rating (0-based) of a column is the first scale
    point whose cumulative count exceeds i. From raw values (non-integer input):
    the column sorted, NaN last.
    """

    def __init__(
        self,
        n: IntArray,
        *,
        cumulative: IntArray | None = None,
        points: FloatArray | None = None,
        ordered: FloatArray | None = None,
    ) -> None:
        self.n = n
        self._cumulative = cumulative
        self._points = points
        self._ordered = ordered

    @classmethod
    def from_counts(cls, table: IntArray, points: FloatArray) -> _OrderStatistics:
        cumulative = np.cumsum(table, axis=1)
        return cls(cumulative[:, -1].copy(), cumulative=cumulative, points=points)

    @classmethod
    def from_values(cls, x: FloatArray) -> _OrderStatistics:
        try:
            grid = column_counts(x, max_levels=_MAX_COUNT_RANGE + 1)
        except NotIntegerGrid:
            n = (~np.isnan(x)).sum(axis=0).astype(np.int64)
            return cls(n, ordered=np.sort(x, axis=0))
        if not grid.counts.any():  # no ratings at all
            return cls.from_counts(np.zeros((x.shape[1], 2), dtype=np.int64), np.zeros(2))
        levels = max(grid.levels, 2)
        values = np.arange(grid.low, grid.low + levels, dtype=np.float64)
        return cls.from_counts(grid.on(grid.low, levels), values)

    def at(self, index: npt.NDArray[np.intp]) -> FloatArray:
        """Value of the ``index``-th order statistic (0-based) of each column."""
        if self._cumulative is not None and self._points is not None:
            position = (self._cumulative <= index[:, np.newaxis]).sum(axis=1)
            position = np.minimum(position, self._points.size - 1)
            return np.asarray(self._points[position], dtype=np.float64)
        assert self._ordered is not None
        safe = np.clip(index, 0, self._ordered.shape[0] - 1)
        return np.asarray(self._ordered[safe, np.arange(self._ordered.shape[1])], dtype=np.float64)


def _lerp(a: FloatArray, b: FloatArray, t: FloatArray) -> FloatArray:
    # numpy's own two-sided form, so results agree to the last bit.
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _quantile(order: _OrderStatistics, q: float, method: str) -> FloatArray:
    """Sample quantile ``q`` of each column, as ``np.nanquantile(..., method=method)``.

    numpy locates a quantile at a "virtual index" into the sorted column and
    interpolates between its neighbours; the formulas below are numpy's own, applied
    with each column's count of non-missing ratings.
    """
    n = order.n
    empty = n == 0
    last = np.maximum(n - 1, 0)
    qf = np.float64(q)
    if method in ("inverted_cdf", "closest_observation"):
        if method == "inverted_cdf":
            virtual = n * qf - 1
        else:
            virtual = n * qf - 1 - 0.5
        below = np.floor(virtual)
        gamma = virtual - below
        if method == "inverted_cdf":
            take_below = gamma == 0
        else:
            # "the nearest even order statistic at g = 0" (1-based), i.e. odd 0-based
            take_below = (gamma == 0) & (below % 2 == 1)
        index = np.where(take_below, below, below + 1).astype(np.intp)
        result = order.at(np.clip(index, 0, last))
    elif method in ("lower", "higher", "nearest"):
        position = (n - 1) * qf
        if method == "lower":
            rounded = np.floor(position)
        elif method == "higher":
            rounded = np.ceil(position)
        else:
            rounded = np.around(position)  # half to even, as numpy
        result = order.at(np.clip(rounded.astype(np.intp), 0, last))
    else:
        if method == "linear":
            virtual = (n - 1) * qf
        elif method == "averaged_inverted_cdf":
            virtual = n * qf - 1
        elif method == "midpoint":
            position = (n - 1) * qf
            virtual = 0.5 * (np.floor(position) + np.ceil(position))
        else:
            alpha, beta = _ALPHA_BETA[method]
            virtual = n * qf + (alpha + qf * (1 - alpha - beta)) - 1
        below = np.floor(virtual)
        gamma = virtual - below
        if method == "averaged_inverted_cdf":
            gamma = np.where(gamma == 0, 0.5, 1.0)
        elif method == "midpoint":
            gamma = np.where(virtual % 1 == 0, 0.0, 0.5)
        # Outside the sample both neighbours are the extreme value.
        lo_index = np.where(virtual >= last, last, np.where(virtual < 0, 0, below))
        hi_index = np.where(virtual >= last, last, np.where(virtual < 0, 0, below + 1))
        previous = order.at(lo_index.astype(np.intp))
        following = order.at(hi_index.astype(np.intp))
        result = _lerp(previous, following, gamma)
    return np.where(empty, np.nan, result)


def _check_method(method: str, name: str = "method") -> None:
    check_choice(method, QUANTILE_METHODS, name)


def quartiles(ratings: npt.ArrayLike, method: QuantileMethod = "weibull") -> Quartiles:
    """Lower quartile, median and upper quartile of each statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Ratings; NaN marks a missing answer and is ignored.
    method : str, default "weibull"
        Any :func:`numpy.quantile` method name (see ``QUANTILE_METHODS``).
        ``"weibull"`` is Hyndman-Fan type 6, the SPSS definition; ``"linear"``
        is type 7, the default of R and numpy.

    Returns
    -------
    Quartiles
        Named tuple ``(q1, median, q3)`` of float arrays of shape ``(statements,)``.

    Notes
    -----
    The result equals ``np.nanquantile(ratings, [0.25, 0.5, 0.75], axis=0,
    method=method)``. For the continuous methods the p-quantile sits at the
    (0-based) virtual index ``h = n p + alpha + p (1 - alpha - beta) - 1`` of the
    sorted column, ``Q(p) = x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] -
    x[floor(h)])``, clamped to the sample's extremes; weibull has
    ``alpha = beta = 0``, linear ``alpha = beta = 1``. Integer ratings are counted
    rather than sorted. A column without ratings gives NaN (no warning).

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    *The American Statistician* 50(4), 361-365.

    Examples
    --------
    The quartile method changes the IQR of the same nine ratings:

    >>> r = [1, 2, 3, 3, 4, 4, 4, 5, 5]
    >>> q = quartiles(r, method="linear")
    >>> float(q.q3[0] - q.q1[0])
    1.0
    >>> q = quartiles(r, method="weibull")
    >>> float(q.q3[0] - q.q1[0])
    2.0
    """
    _check_method(method)
    order = _OrderStatistics.from_values(as_matrix(ratings))
    return Quartiles(*(_quantile(order, q, method) for q in (0.25, 0.5, 0.75)))


def median_ci(ratings: npt.ArrayLike, confidence: float = 0.95) -> MedianCI:
    """Distribution-free confidence interval for the median of each statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Ratings; NaN marks a missing answer and is ignored.
    confidence : float, default 0.95
        The minimum coverage wanted, strictly between 0 and 1.

    Returns
    -------
    MedianCI
        Named tuple ``(low, high, coverage)`` of float arrays of shape
        ``(statements,)``. ``coverage`` is the exact coverage of the interval
        (at least ``confidence``). All three are NaN when a column has too few
        ratings to reach ``confidence`` even with its minimum and maximum.

    Notes
    -----
    With the ``n`` ratings sorted, ``[x_(j), x_(n + 1 - j)]`` (1-based) covers the
    population median with probability ``1 - 2 P(B <= j - 1)``, ``B ~ Bin(n, 1/2)``,
    for any continuous distribution. The interval reported is the narrowest such
    symmetric interval, i.e. the largest ``j`` whose coverage is still at least
    ``confidence``. With tied ratings the coverage is at least the nominal value.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., Wiley,
    section 3.2. Hollander, M., Wolfe, D. A. & Chicken, E. (2014).
    *Nonparametric Statistical Methods*, 3rd ed., Wiley, section 3.6.

    Examples
    --------
    Ten ratings: the interval runs from the 2nd to the 9th smallest, coverage
    1 - 2 * 11/1024 = 0.9785:

    >>> ci = median_ci([1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    >>> float(ci.low[0]), float(ci.high[0]), round(float(ci.coverage[0]), 4)
    (2.0, 9.0, 0.9785)
    """
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise ValueError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    order = _OrderStatistics.from_values(as_matrix(ratings))
    n = order.n
    tail = (1.0 - float(confidence)) / 2.0
    # depth = j - 1: the largest k with P(B <= k) <= tail, found from the binomial
    # quantile and then checked against the cdf on both sides (ppf is a search).
    sizes = np.maximum(n, 1)
    from scipy import stats  # here, not at import: a command without statistics skips scipy

    guess = np.nan_to_num(stats.binom.ppf(tail, sizes, 0.5), nan=0.0).astype(np.int64)
    depth = guess - 1
    for candidate in (guess, guess + 1):
        fits = stats.binom.cdf(candidate, sizes, 0.5) <= tail
        depth = np.where(fits & (candidate <= sizes // 2), candidate, depth)
    depth = np.where(n > 0, depth, -1)
    with np.errstate(invalid="ignore"):
        coverage = np.where(depth >= 0, 1.0 - 2.0 * stats.binom.cdf(depth, sizes, 0.5), np.nan)
    reachable = depth >= 0
    low = np.where(reachable, order.at(np.maximum(depth, 0).astype(np.intp)), np.nan)
    high = np.where(reachable, order.at(np.maximum(n - 1 - depth, 0).astype(np.intp)), np.nan)
    return MedianCI(low, high, coverage)
