"""Per-statement descriptive and consensus statistics computed from rating counts.

Ratings on a Delphi scale are small integers, so every statistic here (quantiles
included) is derived from one table of counts per statement and scale point rather
than from sorting the raw ratings. :func:`summarize` builds that table in one blocked
pass over the ratings (``engine._counting``) and computes all the measures from it.

Conventions shared by every function:

* ``ratings`` is a ``(respondents, statements)`` array; a 1-D array is one statement.
  ``NaN`` marks a missing answer or "cannot judge"; it is left out of ``n`` and of
  every statistic.
* A statement with no ratings (``n == 0``) gets ``NaN`` results and no warning.
* Quantiles follow :func:`numpy.quantile`'s ``method`` names exactly (the nine
  Hyndman-Fan definitions plus ``lower``, ``higher``, ``midpoint`` and ``nearest``);
  ``weibull`` (Hyndman-Fan type 6, what SPSS reports) is the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from engine._counting import NotIntegerGrid, column_counts, median_from_counts
from engine._validate import as_matrix, check_choice, check_on_scale
from engine.methods import QUANTILE_METHODS, QuantileMethod
from engine.scale import Scale

__all__ = [
    "MedianCI",
    "Quartiles",
    "RandUcla",
    "Summary",
    "bimodality_coefficient",
    "counts",
    "leik",
    "median_ci",
    "quartiles",
    "rand_ucla",
    "summarize",
    "summarize_counts",
    "tastle_wierman",
    "van_der_eijk",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


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

RAND_CLASSES = ("appropriate", "uncertain", "inappropriate")


# --------------------------------------------------------------------------- results


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


class RandUcla(NamedTuple):
    """RAND/UCLA appropriateness figures per statement (see :func:`rand_ucla`)."""

    median: FloatArray
    p30: FloatArray
    p70: FloatArray
    ipr: FloatArray
    iprcp: FloatArray
    ai: FloatArray
    ipras: FloatArray
    di: FloatArray
    disagreement: BoolArray
    classification: ObjectArray


# ----------------------------------------------------------------- order statistics


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


# ------------------------------------------------------------------------- counting


def _tally(
    x: FloatArray,
    scale: Scale,
    group_index: npt.NDArray[np.intp] | None = None,
    n_groups: int = 1,
    name: str = "ratings",
) -> IntArray:
    """Counts per (group, statement, scale point), shape ``(n_groups, S, K)``.

    One blocked pass of :func:`engine._counting.column_counts` on the scale's grid;
    a value off the scale raises ``ValueError`` naming ``name``.
    """
    try:
        grid = column_counts(x, grid=(scale.low, scale.high), keys=group_index, n_keys=n_groups)
    except NotIntegerGrid:
        check_on_scale(x, scale, name)
        raise AssertionError("unreachable: check_on_scale raises") from None  # pragma: no cover
    return grid.counts if group_index is not None else grid.counts[np.newaxis]


def counts(ratings: npt.ArrayLike, scale: Scale) -> IntArray:
    """Number of ratings at each scale point, per statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing answer and is not counted.
    scale : Scale
        The rating scale.

    Returns
    -------
    numpy.ndarray of int64, shape (statements, scale.points)
        ``counts[s, j]`` is the number of respondents who gave statement ``s`` the
        rating ``scale.low + j``.

    Notes
    -----
    One blocked pass over the ratings counts all statements at once: each block of
    rows is checked against the scale, cast to small integer codes and compared
    with every scale point; NaN matches none (see ``engine._counting``).

    References
    ----------
    NumPy reference, ``numpy.equal`` and ``numpy.add.reduce``.

    Examples
    --------
    >>> import numpy as np
    >>> counts(np.array([[1, 3], [3, 3], [np.nan, 2]]), Scale(1, 3)).tolist()
    [[1, 0, 1], [0, 1, 2]]
    """
    _check_scale(scale)
    x = as_matrix(ratings, check_finite=False)
    table: IntArray = _tally(x, scale)[0]
    return table


def _check_scale(scale: Any) -> None:
    if not isinstance(scale, Scale):
        raise ValueError(f"scale must be an engine.Scale such as Scale(1, 9); got {scale!r}")


def _as_counts(table: npt.ArrayLike, name: str = "counts") -> IntArray:
    try:
        array = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric frequency table: {exc}") from None
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (statements x scale points), got {array.ndim}-D")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {array.shape}")
    if array.shape[1] < 2:
        raise ValueError(f"{name} needs at least two scale points (columns), got {array.shape[1]}")
    if not np.isfinite(array).all() or (array < 0).any() or (array != np.round(array)).any():
        raise ValueError(f"{name} must hold non-negative whole numbers (frequencies)")
    return array.astype(np.int64)


# --------------------------------------------------------------- consensus measures


def tastle_wierman(counts: npt.ArrayLike) -> FloatArray:
    """Tastle & Wierman's (2007) consensus measure Cns, per row of a frequency table.

    Parameters
    ----------
    counts : array_like, shape (statements, k) or (k,)
        Frequencies of the ``k`` ordered scale points.

    Returns
    -------
    numpy.ndarray of float64, shape (statements,)
        Cns in [0, 1]: 1 when everyone chose the same point, 0 when the panel is
        split evenly between the two extremes. NaN for an empty row.

    Notes
    -----
    ``Cns = 1 + sum_i p_i log2(1 - |X_i - mu| / d_X)`` with proportions ``p_i``,
    points ``X_i = 1..k``, mean ``mu = sum_i p_i X_i`` and width
    ``d_X = k - 1``. Points nobody chose contribute 0 (``0 log 0 = 0``). The
    measure is invariant to shifting the scale, so the scale's own labels do not
    matter.

    References
    ----------
    Tastle, W. J. & Wierman, M. J. (2007). Consensus and dissention: a measure of
    ordinal dispersion. *International Journal of Approximate Reasoning* 45(3),
    531-545.

    Examples
    --------
    The example of the R package agrmt (``consensus``), 0.7256876:

    >>> round(float(tastle_wierman([30, 40, 210, 130, 530, 50, 10])[0]), 7)
    0.7256876
    >>> tastle_wierman([[0, 5, 0], [5, 0, 5]]).tolist()
    [1.0, 0.0]
    """
    table = _as_counts(counts)
    return _tastle_wierman(table)


def _tastle_wierman(table: IntArray) -> FloatArray:
    k = table.shape[1]
    n = table.sum(axis=1)
    positions = np.arange(1, k + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = table / n[:, np.newaxis]
        mu = p @ positions
        closeness = 1.0 - np.abs(positions - mu[:, np.newaxis]) / (k - 1)
        terms = np.where(table > 0, p * np.log2(np.where(table > 0, closeness, 1.0)), 0.0)
    return np.where(n > 0, 1.0 + terms.sum(axis=1), np.nan)


def van_der_eijk(counts: npt.ArrayLike) -> FloatArray:
    """Van der Eijk's (2001) agreement A, per row of a frequency table.

    Parameters
    ----------
    counts : array_like, shape (statements, k) or (k,)
        Frequencies of the ``k`` ordered scale points.

    Returns
    -------
    numpy.ndarray of float64, shape (statements,)
        A in [-1, 1]: 1 when everyone chose one point, 0 for a uniform
        distribution, -1 for an even split between the two extremes. NaN for an
        empty row.

    Notes
    -----
    The frequency vector is peeled into layers: each layer is the binary pattern
    of the points still non-empty, repeated ``m`` times where ``m`` is the smallest
    non-zero frequency left. A pattern with ``S`` non-empty points out of ``K`` has
    agreement ``A = U (1 - (S - 1) / (K - 1))`` with unimodality
    ``U = ((K - 2) TU - (K - 1) TDU) / ((K - 2) (TU + TDU))``, where over all
    triples of points ``i < j < l``, ``TU`` counts the patterns 110 and 011 and
    ``TDU`` the pattern 101 (``U = 1`` when there are neither). The overall A is the
    mean of the layers' A weighted by the number of observations in each layer,
    ``m S / N``. On a two-point scale there are no triples, so A is 1 when
    everyone chose the same point and 0 otherwise.

    References
    ----------
    van der Eijk, C. (2001). Measuring agreement in ordered rating scales.
    *Quality & Quantity* 35(3), 325-341.

    Examples
    --------
    The example of the R package agrmt (``agreement``), 0.6113333:

    >>> round(float(van_der_eijk([30, 40, 210, 130, 530, 50, 10])[0]), 7)
    0.6113333
    >>> van_der_eijk([[0, 4, 0, 0], [2, 2, 2, 2], [3, 0, 0, 3]]).tolist()
    [1.0, 0.0, -1.0]
    """
    table = _as_counts(counts)
    return _van_der_eijk(table)


def _pattern_agreement(pattern: BoolArray) -> FloatArray:
    k = pattern.shape[1]
    ones = pattern.astype(np.int64)
    size = ones.sum(axis=1)
    ones_through = np.cumsum(ones, axis=1)
    ones_left = ones_through - ones
    ones_right = size[:, np.newaxis] - ones_through
    position = np.arange(k)
    zeros_left = position - ones_left
    zeros_right = (k - 1 - position) - ones_right
    # Count triples by their middle point: 101 has an empty middle with a
    # non-empty point on each side; 110 and 011 a non-empty middle.
    tdu = ((1 - ones) * ones_left * ones_right).sum(axis=1)
    tu = (ones * (ones_left * zeros_right + zeros_left * ones_right)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unimodality = ((k - 2) * tu - (k - 1) * tdu) / ((k - 2) * (tu + tdu))
    unimodality = np.where(tu + tdu == 0, 1.0, unimodality)
    return np.asarray(unimodality * (1.0 - (size - 1) / (k - 1)), dtype=np.float64)


def _van_der_eijk(table: IntArray) -> FloatArray:
    n = table.sum(axis=1)
    remaining = table.copy()
    weighted = np.zeros(table.shape[0])
    sentinel = np.iinfo(np.int64).max
    for _ in range(table.shape[1]):
        pattern = remaining > 0
        size = pattern.sum(axis=1)
        if not size.any():
            break
        layer = np.where(pattern, remaining, sentinel).min(axis=1)
        layer = np.where(size > 0, layer, 0)
        weighted += layer * size * _pattern_agreement(pattern)
        remaining -= layer[:, np.newaxis] * pattern
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, weighted / n, np.nan)


def leik(counts: npt.ArrayLike) -> FloatArray:
    """Leik's (1966) ordinal dispersion D, per row of a frequency table.

    Parameters
    ----------
    counts : array_like, shape (statements, k) or (k,)
        Frequencies of the ``k`` ordered scale points.

    Returns
    -------
    numpy.ndarray of float64, shape (statements,)
        D in [0, 1]: 0 when everyone chose the same point, 1 when the panel is
        split evenly between the two extremes. This is a *dispersion*; the
        corresponding consensus is ``1 - D``. NaN for an empty row.

    Notes
    -----
    With cumulative proportions ``F_i`` over the first ``k - 1`` points,
    ``D = 2 sum_i d_i / (k - 1)`` with ``d_i = F_i`` if ``F_i <= 0.5`` else
    ``1 - F_i``, Leik's original definition (as in the R package agrmt). The
    related ``4 sum_i F_i (1 - F_i) / (k - 1)`` is Blair & Lacy's / Berry &
    Mielke's index of ordinal variation, a different measure.

    References
    ----------
    Leik, R. K. (1966). A measure of ordinal consensus. *Pacific Sociological
    Review* 9(2), 85-90.

    Examples
    --------
    The example of the R package agrmt (``Leik``), 0.287:

    >>> round(float(leik([30, 40, 210, 130, 530, 50, 10])[0]), 3)
    0.287
    >>> leik([[0, 6, 0], [3, 0, 3]]).tolist()
    [0.0, 1.0]
    """
    table = _as_counts(counts)
    return _leik(table)


def _leik(table: IntArray) -> FloatArray:
    k = table.shape[1]
    n = table.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cumulative = np.cumsum(table[:, :-1], axis=1) / n[:, np.newaxis]
    folded = np.minimum(cumulative, 1.0 - cumulative)
    return np.where(n > 0, 2.0 * folded.sum(axis=1) / (k - 1), np.nan)


# --------------------------------------------------------------- shape of the data


def _bimodality(n: IntArray, m2: FloatArray, m3: FloatArray, m4: FloatArray) -> FloatArray:
    nf = n.astype(np.float64)
    usable = (n >= 4) & (m2 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = np.sqrt(nf * (nf - 1.0)) / (nf - 2.0) * m3 / m2**1.5
        g2 = ((nf**2 - 1.0) * m4 / m2**2 - 3.0 * (nf - 1.0) ** 2) / ((nf - 2.0) * (nf - 3.0))
        bc = (g1**2 + 1.0) / (g2 + 3.0 * (nf - 1.0) ** 2 / ((nf - 2.0) * (nf - 3.0)))
    return np.where(usable, bc, np.nan)


def bimodality_coefficient(ratings: npt.ArrayLike) -> FloatArray:
    """Sample bimodality coefficient BC of each statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Ratings; NaN marks a missing answer and is ignored.

    Returns
    -------
    numpy.ndarray of float64, shape (statements,)
        BC per statement; values above 5/9 (about 0.555, the value for a uniform
        distribution) suggest a bimodal distribution. NaN when fewer than 4 ratings
        or when all ratings are equal (skewness undefined).

    Notes
    -----
    ``BC = (g1^2 + 1) / (g2 + 3 (n - 1)^2 / ((n - 2)(n - 3)))`` where, with central
    moments ``m_r = sum (x - mean)^r / n``, ``g1 = sqrt(n (n - 1)) / (n - 2) *
    m3 / m2^1.5`` is the bias-corrected skewness and ``g2 = ((n^2 - 1) m4 / m2^2 -
    3 (n - 1)^2) / ((n - 2)(n - 3))`` the bias-corrected excess kurtosis (the
    values of ``scipy.stats.skew`` and ``scipy.stats.kurtosis`` with
    ``bias=False``).

    References
    ----------
    SAS Institute (1990). *SAS/STAT User's Guide*, the CLUSTER procedure.
    Pfister, R., Schwarz, K. A., Janczyk, M., Dale, R. & Freeman, J. B. (2013).
    Good things peak in pairs: a note on the bimodality coefficient. *Frontiers in
    Psychology* 4, 700.

    Examples
    --------
    A panel split between the extremes against a single-peaked one:

    >>> round(float(bimodality_coefficient([1] * 20 + [9] * 20)[0]), 4)
    0.8793
    >>> round(float(bimodality_coefficient([3, 4, 4, 5, 5, 5, 5, 5, 6, 6, 7])[0]), 4)
    0.2182
    """
    x = as_matrix(ratings)
    present = ~np.isnan(x)
    n = present.sum(axis=0).astype(np.int64)
    filled = np.where(present, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
    deviation = np.where(present, x - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m2 = (deviation**2).sum(axis=0) / n
        m3 = (deviation**3).sum(axis=0) / n
        m4 = (deviation**4).sum(axis=0) / n
    return _bimodality(n, m2, m3, m4)


# -------------------------------------------------------------------- RAND/UCLA


def _rand_ucla_parts(
    median: FloatArray, p30: FloatArray, p70: FloatArray, scale: Scale
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray, ObjectArray]:
    # The 5, 2.35 and 1.5 of the manual are on a 1-9 scale; on other scales the
    # centre and the 2.35 move with the scale, which equals rescaling to 1-9.
    unit = (scale.high - scale.low) / 8.0
    centre = (scale.low + scale.high) / 2.0
    ipr = p70 - p30
    iprcp = (p30 + p70) / 2.0
    ai = np.abs(centre - iprcp)
    ipras = 2.35 * unit + 1.5 * ai
    di = ipr / ipras
    disagreement = ipr > ipras
    median_1_9 = 1.0 + (median - scale.low) / unit
    classification = np.full(median.shape, "uncertain", dtype=object)
    classification[(median_1_9 >= 7) & ~disagreement] = "appropriate"
    classification[(median_1_9 <= 3) & ~disagreement] = "inappropriate"
    classification[np.isnan(median)] = ""
    return ipr, iprcp, ai, ipras, di, disagreement, classification


def rand_ucla(
    ratings: npt.ArrayLike, method: QuantileMethod = "weibull", *, scale: Scale | None = None
) -> RandUcla:
    """RAND/UCLA appropriateness: disagreement index and class of each statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing answer and is ignored.
    method : str, default "weibull"
        Quantile method for the median and the 30th and 70th percentiles (any
        :func:`numpy.quantile` method name).
    scale : Scale, optional
        The rating scale; defaults to ``Scale(1, 9)``, the method's own scale.

    Returns
    -------
    RandUcla
        Named tuple of arrays of shape ``(statements,)``: ``median``, ``p30``,
        ``p70``, ``ipr``, ``iprcp``, ``ai``, ``ipras``, ``di``, ``disagreement``
        (bool) and ``classification`` ("appropriate", "uncertain",
        "inappropriate", or "" for a statement without ratings).

    Notes
    -----
    ``IPR = P70 - P30`` (interpercentile range), ``IPRCP = (P30 + P70) / 2`` (its
    central point), asymmetry ``AI = |5 - IPRCP|``, ``IPRAS = 2.35 + 1.5 AI`` (the
    IPR adjusted for symmetry) and ``DI = IPR / IPRAS``. The panel disagrees when
    ``IPR > IPRAS`` (``DI > 1``). Class by median: 7-9 appropriate, 1-3
    inappropriate, anything in between (including medians of 3.5 and 6.5)
    uncertain; a statement with disagreement is uncertain whatever its median.

    The constants assume a 1-9 scale. On another scale the ratings are treated as
    rescaled linearly to 1-9: the centre 5 becomes the scale's midpoint, 2.35
    becomes ``2.35 (high - low) / 8``, and the median thresholds map back
    likewise. P30, P70, IPR, IPRCP, AI and IPRAS are reported in the scale's own
    units; DI is unitless.

    References
    ----------
    Fitch, K., Bernstein, S. J., Aguilar, M. D., et al. (2001). *The RAND/UCLA
    Appropriateness Method User's Manual*. RAND, MR-1269-DG-XII/RE, chapter 7.

    Examples
    --------
    The worked example of BMJ Open 2012;2:e001431 (15 panelists):

    >>> r = rand_ucla([4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9])
    >>> [round(float(v[0]), 2) for v in (r.p30, r.p70, r.ipr, r.ai, r.ipras)]
    [7.0, 8.0, 1.0, 2.5, 6.1]
    >>> bool(r.disagreement[0]), str(r.classification[0])
    (False, 'appropriate')
    """
    _check_method(method)
    scale = Scale(1, 9) if scale is None else scale
    _check_scale(scale)
    x = as_matrix(ratings, check_finite=False)
    table = _tally(x, scale)[0]
    order = _OrderStatistics.from_counts(table, scale.values.astype(np.float64))
    median = _quantile(order, 0.5, method)
    p30 = _quantile(order, 0.3, method)
    p70 = _quantile(order, 0.7, method)
    parts = _rand_ucla_parts(median, p30, p70, scale)
    return RandUcla(median, p30, p70, *parts)


# ----------------------------------------------------------- confidence of median


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


# ------------------------------------------------------------------------- summary


@dataclass(frozen=True, eq=False)
class Summary:
    """Per-statement statistics of one round on one criterion.

    Every per-statement field is a read-only 1-D array of length
    ``n_statements`` (float64, except ``n`` int64 and ``rand_ucla_class``
    object); ``counts`` is ``(n_statements, scale.points)`` int64. Build it with
    :func:`summarize`; see that function for the definitions.
    """

    n: IntArray
    counts: IntArray
    mean: FloatArray
    sd: FloatArray
    cv: FloatArray
    median: FloatArray
    q1: FloatArray
    q3: FloatArray
    iqr: FloatArray
    mad: FloatArray
    agree: FloatArray
    disagree: FloatArray
    tastle_wierman: FloatArray
    van_der_eijk: FloatArray
    leik: FloatArray
    bimodality: FloatArray
    p30: FloatArray
    p70: FloatArray
    ipr: FloatArray
    iprcp: FloatArray
    ai: FloatArray
    ipras: FloatArray
    di: FloatArray
    rand_ucla_class: ObjectArray
    scale: Scale = field(kw_only=True)
    quantile_method: str = field(kw_only=True)
    agree_band: tuple[int, int] = field(kw_only=True)
    disagree_band: tuple[int, int] = field(kw_only=True)
    cannot_judge: IntArray = field(kw_only=True)
    cannot_judge_counts: bool = field(kw_only=True)

    _METADATA: ClassVar[frozenset[str]] = frozenset(
        {
            "counts",
            "scale",
            "quantile_method",
            "agree_band",
            "disagree_band",
            "cannot_judge",
            "cannot_judge_counts",
        }
    )

    def __post_init__(self) -> None:
        for name in (*self.metric_names(), "counts", "cannot_judge"):
            getattr(self, name).setflags(write=False)

    @classmethod
    def metric_names(cls) -> tuple[str, ...]:
        """Names of the scalar per-statement fields, in order (``counts`` excluded).

        Examples
        --------
        >>> Summary.metric_names()[:5]
        ('n', 'mean', 'sd', 'cv', 'median')
        """
        return tuple(f.name for f in fields(cls) if f.name not in cls._METADATA)

    @property
    def n_statements(self) -> int:
        """Number of statements (columns) summarised."""
        return int(self.n.shape[0])

    def records(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per statement.

        Returns
        -------
        list of dict
            Keys: ``n``, ``cannot_judge``, ``counts`` (list of int, one per scale
            point) and every other name of :meth:`metric_names`. Floats are Python
            floats, NaN becomes ``None``.
        """
        columns: dict[str, list[Any]] = {}
        for name in self.metric_names():
            values = getattr(self, name)
            if values.dtype.kind == "f":
                columns[name] = [None if v != v else v for v in values.tolist()]
            else:
                columns[name] = values.tolist()
        columns["cannot_judge"] = self.cannot_judge.tolist()
        columns["counts"] = self.counts.tolist()
        order = ["n", "cannot_judge", "counts", *self.metric_names()[1:]]
        return [{key: columns[key][i] for key in order} for i in range(self.n_statements)]

    def method(self) -> dict[str, Any]:
        """The method settings behind these figures, as JSON-safe data.

        Examples
        --------
        >>> summarize([7, 8, 9], Scale(1, 9)).method()["quantile_method"]
        'weibull'
        """
        return {
            "scale_low": int(self.scale.low),
            "scale_high": int(self.scale.high),
            "quantile_method": self.quantile_method,
            "agree": list(self.agree_band),
            "disagree": list(self.disagree_band),
            "cannot_judge_counts": bool(self.cannot_judge_counts),
        }


def _band(band: Any, scale: Scale, name: str) -> tuple[int, int]:
    try:
        low, high = band
        values = (float(low), float(high))
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of scale points, got {band!r}"
        ) from None
    if any(v != round(v) for v in values):
        raise ValueError(f"{name} must be whole scale points, got {band!r}")
    a, b = int(values[0]), int(values[1])
    if not scale.low <= a <= b <= scale.high:
        raise ValueError(
            f"{name} band {band!r} must satisfy {scale.low} <= low <= high <= {scale.high} "
            f"(the scale)"
        )
    return a, b


def _cannot_judge(value: Any, columns: int) -> IntArray:
    if value is None:
        return np.zeros(columns, dtype=np.int64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"cannot_judge must be counts per statement, got {value!r}") from None
    if array.ndim == 0 and columns == 1:
        array = array.reshape(1)
    if array.shape != (columns,):
        raise ValueError(
            f"cannot_judge must have one count per statement ({columns}), got shape {array.shape}"
        )
    if not np.isfinite(array).all() or (array < 0).any() or (array != np.round(array)).any():
        raise ValueError("cannot_judge must hold non-negative whole numbers")
    return array.astype(np.int64)


def summarize(
    ratings: npt.ArrayLike,
    scale: Scale,
    *,
    quantile_method: QuantileMethod = "weibull",
    agree: tuple[int, int] = (7, 9),
    disagree: tuple[int, int] = (1, 3),
    cannot_judge: npt.ArrayLike | None = None,
    cannot_judge_counts: bool = False,
) -> Summary:
    """Every per-statement statistic of a round, from one count of the ratings.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing or "cannot judge" answer.
    scale : Scale
        The rating scale, e.g. ``Scale(1, 9)``.
    quantile_method : str, default "weibull"
        :func:`numpy.quantile` method for the median, quartiles and the RAND/UCLA
        percentiles. ``"weibull"`` is SPSS's definition, ``"linear"`` R's default.
    agree, disagree : (int, int), default (7, 9) and (1, 3)
        Inclusive bands of scale points whose shares are reported as ``agree`` and
        ``disagree``. They must lie on the scale.
    cannot_judge : array_like of int, shape (statements,), optional
        Number of "cannot judge" answers per statement (they are NaN in
        ``ratings``).
    cannot_judge_counts : bool, default False
        If true, "cannot judge" answers join the denominator of ``agree`` and
        ``disagree`` (as the ENLIGHT study did); otherwise only ratings count.

    Returns
    -------
    Summary
        Per statement: ``n`` (number of ratings), ``counts`` per scale point,
        ``mean``, ``sd``, ``cv``, ``median``, ``q1``, ``q3``, ``iqr``, ``mad``,
        ``agree``, ``disagree``, ``tastle_wierman``, ``van_der_eijk``, ``leik``,
        ``bimodality``, the RAND/UCLA ``p30``, ``p70``, ``ipr``, ``iprcp``,
        ``ai``, ``ipras``, ``di`` and ``rand_ucla_class``, plus the method
        settings.

    Notes
    -----
    All figures follow from the counts ``c_j`` at scale points ``x_j``:
    ``n = sum c_j``; ``mean = sum c_j x_j / n``; ``sd = sqrt(sum c_j (x_j -
    mean)^2 / (n - 1))`` (NaN when ``n < 2``); ``cv = sd / mean`` (NaN when the
    mean is 0); quartiles as :func:`quartiles`; ``iqr = q3 - q1``; ``mad`` is the
    unscaled median absolute deviation ``median(|x - median(x)|)`` with ordinary
    (midpoint) medians, whatever ``quantile_method`` is (as
    ``scipy.stats.median_abs_deviation``); ``agree`` is the share of ratings in
    the band, ``sum_{j in band} c_j / n`` (``/ (n + cannot_judge)`` with
    ``cannot_judge_counts``); the ordinal measures as :func:`tastle_wierman`,
    :func:`van_der_eijk` and :func:`leik` (a dispersion); ``bimodality`` as
    :func:`bimodality_coefficient`; the RAND/UCLA figures as :func:`rand_ucla`
    with ``quantile_method``. A statement with ``n == 0`` has NaN everywhere and
    class "". No warnings are raised for empty statements.

    References
    ----------
    See the individual functions. On the choice of quantile definition:
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    *The American Statistician* 50(4), 361-365.

    Examples
    --------
    >>> import numpy as np
    >>> s = summarize(np.array([[7, 1], [8, 2], [9, np.nan], [7, 9]]), Scale(1, 9))
    >>> s.n.tolist(), s.median.tolist(), s.agree.tolist()
    ([4, 3], [7.5, 2.0], [1.0, 0.3333333333333333])
    >>> s.records()[1]["counts"]
    [1, 1, 0, 0, 0, 0, 0, 0, 1]
    """
    _check_scale(scale)
    _check_method(quantile_method, "quantile_method")
    x = as_matrix(ratings, check_finite=False)
    agree_band = _band(agree, scale, "agree")
    disagree_band = _band(disagree, scale, "disagree")
    cj = _cannot_judge(cannot_judge, x.shape[1])
    table = _tally(x, scale)[0]
    return _summarize_table(
        table,
        scale,
        quantile_method=quantile_method,
        agree_band=agree_band,
        disagree_band=disagree_band,
        cannot_judge=cj,
        cannot_judge_counts=bool(cannot_judge_counts),
    )


def summarize_counts(
    counts: npt.ArrayLike,
    scale: Scale,
    *,
    quantile_method: QuantileMethod = "weibull",
    agree: tuple[int, int] = (7, 9),
    disagree: tuple[int, int] = (1, 3),
    cannot_judge: npt.ArrayLike | None = None,
    cannot_judge_counts: bool = False,
) -> Summary:
    """:func:`summarize` for ratings already counted per statement and scale point.

    Parameters
    ----------
    counts : array_like, shape (statements, scale.points) or (scale.points,)
        ``counts[s, j]``: number of ratings ``scale.low + j`` for statement ``s``.
    scale, quantile_method, agree, disagree, cannot_judge, cannot_judge_counts
        As for :func:`summarize`.

    Returns
    -------
    Summary
        Identical to ``summarize`` on any ratings with these counts.

    Notes
    -----
    Every statistic of :func:`summarize` depends on the ratings only through
    their counts, so a frequency table is enough.

    References
    ----------
    See :func:`summarize`.

    Examples
    --------
    >>> summarize_counts([0, 0, 0, 0, 0, 0, 2, 1, 1], Scale(1, 9)).median.tolist()
    [7.5]
    """
    _check_scale(scale)
    _check_method(quantile_method, "quantile_method")
    table = _as_counts(counts)
    if table.shape[1] != scale.points:
        raise ValueError(
            f"counts must have one column per scale point ({scale.points}), got {table.shape[1]}"
        )
    return _summarize_table(
        table,
        scale,
        quantile_method=quantile_method,
        agree_band=_band(agree, scale, "agree"),
        disagree_band=_band(disagree, scale, "disagree"),
        cannot_judge=_cannot_judge(cannot_judge, table.shape[0]),
        cannot_judge_counts=bool(cannot_judge_counts),
    )


def _median_abs_deviation(table: IntArray, points: FloatArray) -> FloatArray:
    # np.median of |x - np.median(x)|: the deviations of each row's points, sorted,
    # carry that row's counts
    deviation = np.abs(points - median_from_counts(table, points)[:, np.newaxis])
    order = np.argsort(np.where(np.isnan(deviation), 0.0, deviation), axis=1, kind="stable")
    return median_from_counts(
        np.take_along_axis(table, order, axis=1), np.take_along_axis(deviation, order, axis=1)
    )


def _summarize_table(
    table: IntArray,
    scale: Scale,
    *,
    quantile_method: str,
    agree_band: tuple[int, int],
    disagree_band: tuple[int, int],
    cannot_judge: IntArray,
    cannot_judge_counts: bool,
) -> Summary:
    points = scale.values.astype(np.float64)
    order = _OrderStatistics.from_counts(table, points)
    n = order.n
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (table @ points) / nf
        deviation = points - mean[:, np.newaxis]
        squares = deviation**2
        ss = (table * squares).sum(axis=1)
        m2 = ss / nf
        m3 = (table * squares * deviation).sum(axis=1) / nf
        m4 = (table * squares**2).sum(axis=1) / nf
        sd = np.where(n >= 2, np.sqrt(ss / (nf - 1.0)), np.nan)
        cv = np.where(mean != 0, sd / mean, np.nan)
        denominator = nf + cannot_judge if cannot_judge_counts else nf
        in_agree = (points >= agree_band[0]) & (points <= agree_band[1])
        in_disagree = (points >= disagree_band[0]) & (points <= disagree_band[1])
        agree = np.where(denominator > 0, table[:, in_agree].sum(axis=1) / denominator, np.nan)
        disagree = np.where(
            denominator > 0, table[:, in_disagree].sum(axis=1) / denominator, np.nan
        )
    median = _quantile(order, 0.5, quantile_method)
    q1 = _quantile(order, 0.25, quantile_method)
    q3 = _quantile(order, 0.75, quantile_method)
    p30 = _quantile(order, 0.3, quantile_method)
    p70 = _quantile(order, 0.7, quantile_method)
    ipr, iprcp, ai, ipras, di, _, classification = _rand_ucla_parts(median, p30, p70, scale)
    return Summary(
        n=n,
        counts=table,
        mean=mean,
        sd=sd,
        cv=cv,
        median=median,
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        mad=_median_abs_deviation(table, points),
        agree=agree,
        disagree=disagree,
        tastle_wierman=_tastle_wierman(table),
        van_der_eijk=_van_der_eijk(table),
        leik=_leik(table),
        bimodality=_bimodality(n, m2, m3, m4),
        p30=p30,
        p70=p70,
        ipr=ipr,
        iprcp=iprcp,
        ai=ai,
        ipras=ipras,
        di=di,
        rand_ucla_class=classification,
        scale=scale,
        quantile_method=quantile_method,
        agree_band=agree_band,
        disagree_band=disagree_band,
        cannot_judge=cannot_judge,
        cannot_judge_counts=cannot_judge_counts,
    )
