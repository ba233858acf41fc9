"""Ordinal agreement and the shape of each statement's distribution.

Tastle-Wierman's consensus, van der Eijk's agreement and Leik's dispersion work on a
frequency table (statements x scale points); the bimodality coefficient on ratings.

Conventions shared with the rest of the per-statement statistics
(:mod:`engine.descriptive`): ``ratings`` is a ``(respondents, statements)`` array, a
1-D array is one statement; ``NaN`` marks a missing answer or "cannot judge" and is
left out of ``n`` and of every statistic; a statement with no ratings gets ``NaN``
results and no warning.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._validate import as_matrix
from engine.frequencies import _as_counts

__all__ = ["bimodality_coefficient", "leik", "tastle_wierman", "van_der_eijk"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
