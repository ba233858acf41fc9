"""Two sets of answers to the same statements: do they differ?

:func:`mann_whitney` is the Mann-Whitney U test per statement, counted rather than
sorted, with the rank-biserial correlation as its effect size. On it rest
:func:`attrition` (did those who dropped out rate differently from those who stayed?)
and :func:`feedback_effect` (in a real-time study, how far do the answers given after
seeing the panel's feedback differ from the blind first answers?).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._counting import NotIntegerGrid, column_counts, distinct_counts, median_from_counts
from engine._validate import as_matrix, check_no_infinity

__all__ = [
    "Attrition",
    "FeedbackEffect",
    "MannWhitney",
    "attrition",
    "feedback_effect",
    "mann_whitney",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class MannWhitney:
    """Mann-Whitney U test of ``a`` against ``b`` per statement (see :func:`mann_whitney`).

    Every field is an array of shape (statements,).
    """

    n_a: IntArray
    """Ratings in ``a``."""
    n_b: IntArray
    """Ratings in ``b``."""
    median_a: FloatArray
    """Median of ``a`` (midpoint definition)."""
    median_b: FloatArray
    """Median of ``b``."""
    u: FloatArray
    """``U`` of ``a``: pairs where ``a`` is higher, ties counting one half."""
    pvalue: FloatArray
    """Two-sided p-value, normal approximation with tie and continuity correction."""
    effect: FloatArray
    """Rank-biserial correlation ``2 U / (n_a n_b) - 1`` in [-1, 1]; positive when
    ``a`` tends to be higher."""


def _as_rows(values: Any, name: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (NaN for missing): {exc}") from None
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D or 2-D (respondents x statements), got {array.ndim}-D"
        )
    return array


def mann_whitney(a: npt.ArrayLike, b: npt.ArrayLike) -> MannWhitney:
    r"""Mann-Whitney U test per statement between two groups of respondents.

    Parameters
    ----------
    a, b : array_like, shape (respondents_a, statements) and (respondents_b, statements)
        Ratings of the two groups (a 1-D array is one statement); NaN marks a
        missing answer. Either may have no rows.

    Returns
    -------
    MannWhitney
        ``n_a``, ``n_b``, ``median_a``, ``median_b``, ``u``, ``pvalue``, ``effect``.

    Notes
    -----
    With the ratings of both groups ranked together (ties averaged),
    ``U_a = R_a - n_a (n_a + 1) / 2`` (``R_a`` the rank sum of ``a``), which equals
    the number of pairs ``(x in a, y in b)`` with ``x > y`` plus half those with
    ``x = y``; it is computed so, from the counts of each rating value. The
    two-sided p-value uses ``U = max(U_a, n_a n_b - U_a)``, ``mu = n_a n_b / 2``,

    .. math::

        \sigma^2 = \frac{n_a n_b}{12}\Bigl(N + 1 - \frac{\sum_t (t^3 - t)}{N (N - 1)}\Bigr),
        \qquad p = \min\bigl(1, 2\,\Phi(-(U - \mu - 1/2) / \sigma)\bigr)

    with ``N = n_a + n_b`` and ``t`` the sizes of the groups of tied ratings; this is
    ``scipy.stats.mannwhitneyu(a, b, method="asymptotic")`` (continuity
    correction on). When every rating is tied, ``sigma = 0`` and ``p = 1``, as
    SciPy. The effect size is Kerby's rank-biserial correlation
    ``r = 2 U_a / (n_a n_b) - 1``, the share of pairs favouring ``a`` minus the
    share favouring ``b``. Without ratings in ``a`` or in ``b`` every figure but
    the counts is NaN; no warnings are raised.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random
    variables is stochastically larger than the other. *Annals of Mathematical
    Statistics* 18(1), 50-60.
    Kerby, D. S. (2014). The simple difference formula: an approach to teaching
    nonparametric correlation. *Comprehensive Psychology* 3, 11.IT.3.1.

    Examples
    --------
    >>> res = mann_whitney([7, 8, 9, 9, 8], [5, 6, 7, 8, 4, 6])
    >>> float(res.u[0]), round(float(res.pvalue[0]), 3), round(float(res.effect[0]), 4)
    (27.5, 0.026, 0.8333)
    """
    x_a, x_b = _as_rows(a, "a"), _as_rows(b, "b")
    if x_a.shape[1] != x_b.shape[1]:
        raise ValueError(
            f"a and b must have the same statements (columns); got {x_a.shape[1]} and "
            f"{x_b.shape[1]}"
        )
    x = np.vstack([x_a, x_b])
    check_no_infinity(x, "a and b")
    keys = np.repeat(np.array([0, 1], dtype=np.intp), [x_a.shape[0], x_b.shape[0]])
    if x.shape[0] == 0:
        values, counts = np.zeros(1), np.zeros((2, x.shape[1], 1), dtype=np.int64)
    else:
        try:
            grid = column_counts(x, max_levels=max(64, x.shape[0]), keys=keys, n_keys=2)
            values, counts = grid.values, grid.counts
        except NotIntegerGrid:
            values, by_statement = distinct_counts(x, keys, 2)
            counts = by_statement.transpose(1, 0, 2)
    c_a, c_b = counts[0].astype(np.float64), counts[1].astype(np.float64)
    n_a, n_b = c_a.sum(axis=1), c_b.sum(axis=1)
    below_b = np.cumsum(c_b, axis=1) - c_b
    u_a = np.sum(c_a * (below_b + 0.5 * c_b), axis=1)
    total = c_a + c_b
    n = n_a + n_b
    pairs = n_a * n_b
    tested = pairs > 0
    safe_n = np.maximum(n, 2.0)
    ties = np.sum(total**3 - total, axis=1)
    sigma = np.sqrt(np.maximum(pairs / 12.0 * (safe_n + 1.0 - ties / (safe_n * (safe_n - 1.0))), 0))
    numerator = np.maximum(u_a, pairs - u_a) - pairs / 2.0 - 0.5
    z = np.divide(numerator, sigma, out=np.full(n.shape, -np.inf), where=sigma > 0)
    from scipy import special  # here, not at import: a command without statistics skips scipy

    pvalue = np.where(tested, np.minimum(1.0, 2.0 * special.ndtr(-z)), np.nan)
    safe_pairs = np.where(tested, pairs, 1.0)
    return MannWhitney(
        n_a=n_a.astype(np.int64),
        n_b=n_b.astype(np.int64),
        median_a=median_from_counts(counts[0], values),
        median_b=median_from_counts(counts[1], values),
        u=np.where(tested, u_a, np.nan),
        pvalue=pvalue,
        effect=np.where(tested, 2.0 * u_a / safe_pairs - 1.0, np.nan),
    )


@dataclass(frozen=True, eq=False)
class Attrition:
    """Previous-round ratings of dropouts against stayers (see :func:`attrition`)."""

    dropped: int
    """Respondents of the previous round who did not answer the current one."""
    stayed: int
    """Respondents of the previous round who answered the current one too."""
    test: MannWhitney
    """Dropouts (``a``) against stayers (``b``), per statement."""
    flagged: BoolArray
    """Statements where attrition may bias the result: ``pvalue < alpha`` and
    ``|effect| >= min_effect``."""
    alpha: float
    """Significance level used for ``flagged``."""
    min_effect: float
    """Smallest absolute rank-biserial correlation flagged."""


def _check_share(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


def attrition(
    previous: npt.ArrayLike,
    stayed: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    min_effect: float = 0.3,
) -> Attrition:
    """Did the panelists who dropped out rate differently from those who stayed?

    Parameters
    ----------
    previous : array_like, shape (respondents, statements)
        The previous round's ratings of its respondents; NaN marks a missing answer.
    stayed : array_like of bool, shape (respondents,)
        Whether each of them also submitted the current round.
    alpha : float, default 0.05
        Significance level.
    min_effect : float, default 0.3
        Smallest absolute rank-biserial correlation worth flagging (0.1 small, 0.3
        medium, 0.5 large, by Cohen's conventions for correlations).

    Returns
    -------
    Attrition
        ``dropped`` and ``stayed`` (respondents), ``test`` (:func:`mann_whitney` of
        the dropouts' ratings against the stayers'), ``flagged`` per statement and
        the thresholds.

    Notes
    -----
    Per statement, :func:`mann_whitney` with ``a`` the dropouts and ``b`` the
    stayers, so a positive ``effect`` means the dropouts had rated the statement
    higher: a later round's figures then understate it. A statement is flagged when
    the difference is both significant (``pvalue < alpha``) and not small
    (``|effect| >= min_effect``); with a few dropouts nothing reaches significance,
    and with many even a negligible difference would. NaN figures are never flagged.

    References
    ----------
    Bardecki, M. J. (1984). Participants' response to the Delphi method: an attitudinal
    perspective. *Technological Forecasting and Social Change* 25(3), 281-292.
    Gargon, E., Crew, R., Burnside, G. & Williamson, P. R. (2019). Higher number of
    items associated with significantly lower response rates in COS Delphi surveys.
    *Journal of Clinical Epidemiology* 108, 110-120.

    Examples
    --------
    >>> import numpy as np
    >>> previous = np.array([[2, 7], [3, 8], [2, 7], [8, 8], [9, 7], [8, 7], [9, 8], [8, 8]])
    >>> res = attrition(previous, [False, False, False, True, True, True, True, True])
    >>> res.dropped, res.stayed, res.flagged.tolist()
    (3, 5, [True, False])
    >>> float(res.test.effect[0])
    -1.0
    """
    x = as_matrix(previous, "previous")
    kept = np.asarray(stayed)
    if kept.shape != (x.shape[0],) or not np.isin(kept, (0, 1)).all():
        raise ValueError(
            f"stayed must be one boolean per respondent (row), {x.shape[0]} in all; "
            f"got shape {kept.shape}"
        )
    kept = kept.astype(bool)
    level = _check_share("alpha", alpha)
    effect = _check_share("min_effect", min_effect)
    test = mann_whitney(x[~kept], x[kept])
    with np.errstate(invalid="ignore"):
        flagged = (test.pvalue < level) & (np.abs(test.effect) >= effect)
    return Attrition(
        dropped=int((~kept).sum()),
        stayed=int(kept.sum()),
        test=test,
        flagged=flagged,
        alpha=level,
        min_effect=effect,
    )


@dataclass(frozen=True, eq=False)
class FeedbackEffect:
    """Answers given with feedback in view against blind first answers."""

    test: MannWhitney
    """Informed answers (``a``) against blind ones (``b``), per statement."""
    median_shift: FloatArray
    """``median(informed) - median(blind)`` per statement."""
    pairs: IntArray
    """Panelists with both a blind and an informed answer, per statement."""
    changed: FloatArray
    """Share of those pairs whose informed answer differs from the blind one."""


def feedback_effect(blind: npt.ArrayLike, informed: npt.ArrayLike) -> FeedbackEffect:
    """How far answers given after feedback was visible differ from blind first answers.

    The guard against the initial-condition effect of real-time Delphi: when later
    answers drift toward what the feedback showed (at first, the earliest answers),
    the informed answers differ from the blind ones.

    Parameters
    ----------
    blind : array_like, shape (panelists, statements)
        Each panelist's first answer to each statement, given before they had seen
        any feedback on it; NaN where they gave none (or "cannot judge").
    informed : array_like, shape (panelists, statements)
        Each panelist's latest answer *given* while the statement's feedback was
        visible to them (a revision, or a first answer given after seeing the
        feedback); NaN where there is none. An answer kept unchanged after seeing the
        feedback is not a new answer: count it as a confirmation instead.

    Returns
    -------
    FeedbackEffect
        ``test`` (:func:`mann_whitney` of informed against blind), ``median_shift``,
        ``pairs`` and ``changed``.

    Notes
    -----
    Per statement: ``median_shift = median(informed) - median(blind)`` (midpoint
    medians of the non-missing answers); the Mann-Whitney U test and rank-biserial
    ``effect`` compare the two sets of answers (positive: informed answers higher).
    The sets share panelists (a revision follows the same panelist's blind answer),
    so the p-value measures how far the two distributions differ rather than being
    an exact test; for the change within panelists, ``pairs`` counts the panelists
    with both answers and ``changed`` the share of them who moved (and
    :func:`engine.paired_change` gives the Wilcoxon signed-rank test on them).

    References
    ----------
    Gordon, T. & Pease, A. (2006). RT Delphi: an efficient, "round-less" almost real
    time Delphi method. *Technological Forecasting and Social Change* 73(4), 321-333.
    Aengenheyster, S., Cuhls, K., Gerhold, L., Heiskanen-Schuettler, M., Huck, J. &
    Muszynska, M. (2017). Real-Time Delphi in practice: a comparative analysis of
    existing software-based tools. *Technological Forecasting and Social Change* 118,
    15-27.

    Examples
    --------
    >>> import numpy as np
    >>> nan = np.nan
    >>> blind = [[3], [4], [9], [8], [2], [9]]
    >>> informed = [[7], [7], [nan], [8], [6], [nan]]
    >>> res = feedback_effect(blind, informed)
    >>> float(res.median_shift[0]), int(res.pairs[0]), float(res.changed[0])
    (1.0, 4, 0.75)
    """
    b = as_matrix(blind, "blind")
    a = as_matrix(informed, "informed")
    if a.shape != b.shape:
        raise ValueError(
            "blind and informed must have the same shape (rows the same panelists); got "
            f"{b.shape} and {a.shape}"
        )
    test = mann_whitney(a, b)
    both = ~np.isnan(a) & ~np.isnan(b)
    pairs = both.sum(axis=0)
    moved = (both & (a != b)).sum(axis=0)
    changed = np.divide(moved, pairs, out=np.full(pairs.shape, np.nan), where=pairs > 0)
    return FeedbackEffect(
        test=test,
        median_shift=test.median_a - test.median_b,
        pairs=pairs.astype(np.int64),
        changed=changed,
    )
