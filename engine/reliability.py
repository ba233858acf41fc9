"""Agreement among raters: Kendall's W, Fleiss' kappa and Krippendorff's alpha.

A Delphi panel reports, besides per-statement consensus, how far the panel as a
whole agrees on the *ordering* of the statements (Kendall's coefficient of
concordance W) and how reliable its ratings are as a measurement (Krippendorff's
alpha, which copes with missing answers and any level of measurement).  Fleiss'
kappa covers the classic "many raters sort subjects into categories" table.

Ratings on a small integer scale are counted, not sorted (see ``engine._counting``),
so the functions stay close to the cost of one pass over the ratings matrix.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from engine._counting import (
    NotIntegerGrid,
    RowRanks,
    column_counts,
    distinct_counts,
    row_rank_sums,
    tie_sum,
)
from engine._validate import as_matrix, check_choice, check_no_infinity

__all__ = [
    "FleissKappa",
    "KendallW",
    "KrippendorffAlpha",
    "fleiss_kappa",
    "kendalls_w",
    "krippendorff_alpha",
]

FloatArray = npt.NDArray[np.float64]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


# --------------------------------------------------------------------------- Kendall


class KendallW(NamedTuple):
    """Kendall's coefficient of concordance (see :func:`kendalls_w`)."""

    w: float
    """Tie-corrected W in [0, 1]; NaN when undefined."""
    chi2: float
    """Friedman's chi-square ``m (n - 1) W``."""
    df: int
    """Degrees of freedom ``n - 1``."""
    pvalue: float
    """Upper tail of the chi-square distribution with ``df`` degrees of freedom."""
    raters: int
    """Raters (rows) used: those with a rating for every object."""
    objects: int
    """Objects ranked (columns)."""
    dropped: int
    """Raters dropped because they had at least one missing rating."""


def kendalls_w(ratings: Any) -> KendallW:
    r"""Kendall's coefficient of concordance W, corrected for ties.

    Each rater's ratings are turned into ranks (ties get their average rank) and W
    measures how far the raters agree on the ordering of the objects:

    .. math::

        W = \frac{12 S}{m^2 (n^3 - n) - m \sum_i T_i}, \qquad
        S = \sum_j \Bigl(R_j - \frac{m (n + 1)}{2}\Bigr)^2, \qquad
        T_i = \sum_{g} (t_g^3 - t_g)

    where ``m`` is the number of raters, ``n`` the number of objects, ``R_j`` the sum
    of the ranks of object ``j`` and ``t_g`` the sizes of the groups of tied ratings
    of rater ``i``.  The significance test uses Friedman's statistic
    ``chi2 = m (n - 1) W`` with ``n - 1`` degrees of freedom.

    Parameters
    ----------
    ratings : array_like, shape (raters, objects)
        Rows are raters (respondents), columns are the objects they rate (statements).
        NaN marks a missing rating.

    Returns
    -------
    KendallW
        ``w``, ``chi2``, ``df``, ``pvalue``, ``raters`` (used), ``objects``,
        ``dropped``.

    Notes
    -----
    A rater with any missing rating is dropped (W needs complete rankings) and
    counted in ``dropped``; for partial "top N" rankings, where every rater leaves
    items unranked, use :func:`engine.rank_summary`, which ties the unranked items
    below the ranked ones instead. Tied ratings or tied ranks within a rater get
    their average rank and enter the correction ``T_i``.  W, chi2 and the p-value
    are NaN when no rater is left, when there are fewer than two objects, or when
    every rater ties all objects.  A single rater gives W = 1 unless they tie
    objects.

    Integer ratings on a modest range are ranked from per-rater value counts (the
    average rank of a value is the count of smaller values plus ``(ties + 1) / 2``),
    other values by sorting.

    References
    ----------
    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings.
    *Annals of Mathematical Statistics*, 10(3), 275-287.
    Siegel, S., & Castellan, N. J. (1988). *Nonparametric Statistics for the
    Behavioral Sciences* (2nd ed.), section 9.4.

    Examples
    --------
    Ten projects ranked by four judges (one column per judge, so the judges, the
    raters, are the rows of the transpose):

    >>> import numpy as np
    >>> projects = np.array([[1, 2, 3, 4], [3, 1, 2, 2], [4, 4, 1, 3], [5, 5, 5, 1],
    ...                      [2, 6, 7, 6], [8, 3, 4, 7], [6, 8, 6, 5], [7, 7, 8, 9],
    ...                      [10, 10, 9, 8], [9, 9, 10, 10]])
    >>> res = kendalls_w(projects.T)
    >>> print(f"W = {res.w:.6f}, chi2 = {res.chi2:.4f}, df = {res.df}")
    W = 0.793939, chi2 = 28.5818, df = 9
    """
    x = as_matrix(ratings, "ratings", check_finite=False)
    total_rows, n = x.shape
    try:
        ranked = row_rank_sums(x, max_levels=max(64, n))
    except NotIntegerGrid:
        check_no_infinity(x, "ratings")
        ranked = _kendall_sorted(x)
    m = ranked.rows
    dropped = total_rows - m
    df = n - 1
    if m == 0 or n < 2:
        return KendallW(np.nan, np.nan, df, np.nan, m, n, dropped)

    s = float(np.sum((ranked.rank_sums - m * (n + 1) / 2.0) ** 2))
    denominator = m * m * float(n**3 - n) - m * ranked.ties
    if denominator <= 0:
        return KendallW(np.nan, np.nan, df, np.nan, m, n, dropped)
    w = 12.0 * s / denominator
    chi2 = m * (n - 1) * w
    from scipy import special  # here, not at import: a command without statistics skips scipy

    pvalue = float(special.chdtrc(df, chi2))
    return KendallW(w, chi2, df, pvalue, m, n, dropped)


def _kendall_sorted(ratings: FloatArray) -> RowRanks:
    """Column rank sums and total tie term of the complete rows, by sorting each row."""
    complete = ~np.isnan(ratings).any(axis=1)
    x = ratings if complete.all() else ratings[complete]
    m, n = x.shape
    if m == 0:
        return RowRanks(np.zeros(n), 0.0, 0)
    order = np.argsort(x, axis=1, kind="stable")
    ordered = np.take_along_axis(x, order, axis=1)
    starts = np.ones((m, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    # tie-group id per sorted cell, then each group's first and last position
    flat_starts = starts.ravel()
    group = np.cumsum(flat_starts) - 1
    first = np.flatnonzero(flat_starts)
    sizes = np.diff(np.append(first, m * n))
    position = np.arange(m * n) - (np.arange(m) * n).repeat(n)  # 0-based within row
    mid = position[first] + (sizes + 1) / 2.0  # average 1-based rank of each group
    sorted_ranks = mid[group].reshape(m, n)
    ranks = np.empty_like(sorted_ranks)
    np.put_along_axis(ranks, order, sorted_ranks, axis=1)
    return RowRanks(ranks.sum(axis=0), float(tie_sum(sizes)), m)


# ---------------------------------------------------------------------------- Fleiss


class FleissKappa(NamedTuple):
    """Fleiss' kappa for many raters (see :func:`fleiss_kappa`)."""

    kappa: float
    """Chance-corrected agreement; NaN when chance agreement is 1."""
    observed: float
    """Mean observed agreement ``P_bar``."""
    expected: float
    """Agreement expected by chance ``P_e``."""
    subjects: int
    """Subjects (rows)."""
    raters: int
    """Raters per subject."""


def fleiss_kappa(counts: Any) -> FleissKappa:
    r"""Fleiss' kappa for a fixed number of raters assigning subjects to categories.

    With ``N`` subjects, ``n`` raters per subject and ``n_ij`` raters putting subject
    ``i`` in category ``j``:

    .. math::

        P_i = \frac{\sum_j n_{ij}^2 - n}{n (n - 1)}, \quad
        \bar P = \frac{1}{N}\sum_i P_i, \quad
        p_j = \frac{\sum_i n_{ij}}{N n}, \quad
        P_e = \sum_j p_j^2, \quad
        \kappa = \frac{\bar P - P_e}{1 - P_e}

    Parameters
    ----------
    counts : array_like, shape (subjects, categories)
        Non-negative integer counts; every row must sum to the same number of
        raters ``n >= 2``.  Missing values are not allowed (a subject rated by fewer
        raters breaks the model; use :func:`krippendorff_alpha` instead).

    Returns
    -------
    FleissKappa
        ``kappa``, ``observed`` (``P_bar``), ``expected`` (``P_e``), ``subjects``,
        ``raters``.

    Notes
    -----
    ``kappa`` is NaN when ``P_e = 1``, i.e. every rating falls in one category.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76(5), 378-382.

    Examples
    --------
    The worked example of Wikipedia's "Fleiss' kappa" article: 10 subjects, 14
    raters, 5 categories.

    >>> table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
    ...          [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
    ...          [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    >>> res = fleiss_kappa(table)
    >>> print(f"P_bar = {res.observed:.3f}, P_e = {res.expected:.3f}, kappa = {res.kappa:.3f}")
    P_bar = 0.378, P_e = 0.213, kappa = 0.210
    """
    table = as_matrix(counts, "counts")
    if np.isnan(table).any():
        raise ValueError("counts must not contain NaN: every subject needs all its raters")
    if (table < 0).any() or (table != np.round(table)).any():
        raise ValueError("counts must be non-negative integers")
    row_totals = table.sum(axis=1)
    raters = row_totals[0]
    if (row_totals != raters).any():
        raise ValueError(
            "counts rows must all sum to the same number of raters; got row sums "
            f"from {row_totals.min():g} to {row_totals.max():g}"
        )
    if raters < 2:
        raise ValueError(f"counts needs at least 2 raters per subject, got {raters:g}")
    subjects = table.shape[0]
    p_i = (np.sum(table**2, axis=1) - raters) / (raters * (raters - 1))
    observed = float(p_i.mean())
    p_j = table.sum(axis=0) / (subjects * raters)
    expected = float(np.sum(p_j**2))
    kappa = (observed - expected) / (1.0 - expected) if expected < 1.0 else np.nan
    return FleissKappa(float(kappa), observed, expected, subjects, int(raters))


# ------------------------------------------------------------------------ Krippendorff


class KrippendorffAlpha(NamedTuple):
    """Krippendorff's alpha (see :func:`krippendorff_alpha`)."""

    alpha: float
    """``1 - D_o / D_e``; NaN when undefined."""
    level: str
    """Level of measurement that chose the difference function."""
    observed: float
    """Observed disagreement ``D_o``."""
    expected: float
    """Disagreement expected by chance ``D_e``."""
    pairable: int
    """Pairable values ``n``: ratings in units with at least two ratings."""
    units: int
    """Units (columns) with at least two ratings."""


def krippendorff_alpha(ratings: Any, level: Level = "ordinal") -> KrippendorffAlpha:
    r"""Krippendorff's alpha reliability, from the coincidence matrix.

    For each unit ``u`` (column) with ``m_u >= 2`` ratings, every ordered pair of its
    ratings adds ``1 / (m_u - 1)`` to the coincidence matrix, so with ``n_uc`` the
    number of ratings ``c`` in unit ``u``:

    .. math::

        o_{ck} = \sum_u \frac{n_{uc} n_{uk} - [c = k]\, n_{uc}}{m_u - 1}, \quad
        n_c = \sum_k o_{ck}, \quad n = \sum_c n_c

        D_o = \frac{1}{n} \sum_{c,k} o_{ck}\, \delta^2_{ck}, \quad
        D_e = \frac{1}{n (n - 1)} \sum_{c,k} n_c n_k\, \delta^2_{ck}, \quad
        \alpha = 1 - \frac{D_o}{D_e}

    The matrix is one product ``N^T diag(1/(m_u - 1)) N`` of the (units x values)
    count matrix ``N``.  The squared difference ``delta^2`` depends on ``level``:

    - ``nominal``: 0 if ``c = k`` else 1;
    - ``ordinal``: ``(sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2``, i.e. the squared
      distance between the mid-ranks of ``c`` and ``k`` among the pairable values;
    - ``interval``: ``(c - k)^2``;
    - ``ratio``: ``((c - k) / (c + k))^2`` (values must be non-negative).

    Parameters
    ----------
    ratings : array_like, shape (raters, units)
        Rows are raters (respondents), columns are units (statements).  NaN marks a
        missing rating.
    level : {"nominal", "ordinal", "interval", "ratio"}, default "ordinal"
        Level of measurement.

    Returns
    -------
    KrippendorffAlpha
        ``alpha``, ``level``, ``observed`` (``D_o``), ``expected`` (``D_e``),
        ``pairable`` (``n``), ``units`` (units with two or more ratings).

    Notes
    -----
    Missing ratings are simply absent from their unit; units with fewer than two
    ratings are not pairable and drop out.  Alpha is NaN when fewer than two values
    are pairable or when all pairable values are equal (``D_e = 0``: no variation,
    so reliability is undefined).  Integer ratings are counted directly; other
    values are first mapped to their sorted distinct values (memory then grows with
    units x distinct values).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
    Annenberg School for Communication, University of Pennsylvania.
    https://repository.upenn.edu/asc_papers/43

    Examples
    --------
    Krippendorff's (2011) example of 4 coders and 12 units with missing values:

    >>> import numpy as np
    >>> nan = np.nan
    >>> coders = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...           [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> for level in ("nominal", "ordinal", "interval"):
    ...     print(level, f"{krippendorff_alpha(coders, level).alpha:.3f}")
    nominal 0.743
    ordinal 0.815
    interval 0.849
    """
    check_choice(level, LEVELS, "level")
    x = as_matrix(ratings, "ratings", check_finite=level == "ratio")
    if level == "ratio" and bool((x < 0).any()):
        raise ValueError('ratings must be non-negative for level="ratio"')
    try:
        grid = column_counts(x, max_levels=max(64, x.shape[0]))
        values, counts = grid.values, grid.counts
    except NotIntegerGrid:
        check_no_infinity(x, "ratings")
        values, counts = distinct_counts(x)

    per_unit = counts.sum(axis=1)
    pairable_units = per_unit >= 2
    units = int(pairable_units.sum())
    n_uc = counts[pairable_units].astype(np.float64)
    weight = 1.0 / (per_unit[pairable_units] - 1.0)
    weighted = n_uc * weight[:, np.newaxis]
    coincidences = weighted.T @ n_uc
    coincidences[np.diag_indices_from(coincidences)] -= weighted.sum(axis=0)
    n_c = n_uc.sum(axis=0)
    n = float(n_c.sum())
    if n < 2:
        return KrippendorffAlpha(np.nan, level, np.nan, np.nan, int(n), units)

    delta = _difference(level, values, n_c)
    observed = float(np.sum(coincidences * delta)) / n
    expected = float(n_c @ delta @ n_c) / (n * (n - 1.0))
    alpha = 1.0 - observed / expected if expected > 0 else np.nan
    return KrippendorffAlpha(float(alpha), level, observed, expected, int(n), units)


def _difference(level: Level, values: FloatArray, n_c: FloatArray) -> FloatArray:
    """Squared difference ``delta^2[c, k]`` between grid values for ``level``."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "ordinal":
        mid_rank = np.cumsum(n_c) - n_c / 2.0
        return (mid_rank[:, np.newaxis] - mid_rank[np.newaxis, :]) ** 2
    diff = values[:, np.newaxis] - values[np.newaxis, :]
    if level == "interval":
        return diff**2
    total = values[:, np.newaxis] + values[np.newaxis, :]
    ratio = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0)
    return ratio**2
