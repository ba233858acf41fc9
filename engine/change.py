"""Change between rounds: who moved, how far, and when to stop asking.

Delphi rounds are repeated until the panel either agrees or stops moving.  For each
statement, :func:`paired_change` compares the panelists who answered in both rounds
(Wilcoxon signed-rank test, share who changed, median shift, net change in the
distribution) and :func:`stopping` turns that plus the consensus rule into a
per-statement decision: "consensus", "stable" or "continue".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._counting import (
    NotIntegerGrid,
    average_ranks,
    column_counts,
    median_from_counts,
    tie_sum,
)
from engine._validate import as_matrix
from engine.consensus import ConsensusRule, evaluate
from engine.descriptive import Summary, summarize
from engine.scale import Scale

__all__ = [
    "PairedChange",
    "RoundStability",
    "Stopping",
    "paired_change",
    "round_stability",
    "stopping",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STATUSES = ("consensus", "stable", "continue")


@dataclass(frozen=True, eq=False)
class PairedChange:
    """Per-statement change between two rounds (see :func:`paired_change`).

    Every field is a 1-D array with one entry per statement (column).
    """

    pairs: IntArray
    """Panelists with a rating in both rounds."""
    moved: IntArray
    """Pairs whose rating changed (the Wilcoxon sample size)."""
    changed: FloatArray
    """Share of pairs whose rating changed, ``moved / pairs``."""
    median_before: FloatArray
    """Median rating of the pairs in the first round."""
    median_after: FloatArray
    """Median rating of the pairs in the second round."""
    median_shift: FloatArray
    """``median_after - median_before``."""
    statistic: FloatArray
    """Wilcoxon signed-rank statistic ``min(T+, T-)``."""
    z: FloatArray
    """Normal approximation ``(T+ - mu) / sigma``; positive when ratings rose."""
    pvalue: FloatArray
    """Two-sided p-value of the normal approximation."""
    net_change: FloatArray
    """Net change in the distribution of the pairs' ratings, in [0, 1]."""


def paired_change(before: Any, after: Any) -> PairedChange:
    r"""Change per statement for the panelists who rated it in both rounds.

    Row ``i`` of ``before`` and of ``after`` is the same respondent; a statement's
    *pairs* are the rows with a rating in both rounds, ``d = after - before``.

    - ``changed = #{d != 0} / pairs``.
    - ``median_shift = median(after on the pairs) - median(before on the pairs)``
      (ordinary midpoint medians of the paired ratings, not the median of ``d``).
    - Wilcoxon signed-rank test, Wilcoxon's treatment of zeros: the ``n'`` non-zero
      differences are ranked by ``|d|`` with ties averaged;
      ``T+`` (``T-``) is the rank sum of the positive (negative) ones;
      ``statistic = min(T+, T-)``, ``mu = n'(n'+1)/4``,
      ``sigma^2 = (n'(n'+1)(2n'+1) - \sum (t^3 - t)/2) / 24`` over the groups of
      tied ``|d|``, ``z = (T+ - mu)/sigma``, ``p = 2 Phi(-|z|)`` without continuity
      correction.  Identical to ``scipy.stats.wilcoxon(after, before,
      zero_method="wilcox", correction=False, method="approx")`` (``"asymptotic"``
      in recent SciPy) on the pairs.
    - ``net_change = sum_v |f_after(v) - f_before(v)| / (2 N)``, where ``f`` are the
      frequencies of each rating value among the pairs and ``N = pairs``: the
      share of the panel that would have to move to turn one distribution into the
      other (Scheibe, Skutsch & Schofer's "stability"; below 15% is the usual
      criterion for a stable statement).

    Parameters
    ----------
    before, after : array_like, shape (respondents, statements)
        Ratings in the earlier and the later round, rows aligned; NaN marks a
        respondent who did not rate the statement in that round.

    Returns
    -------
    PairedChange
        ``pairs``, ``moved``, ``changed``, ``median_before``, ``median_after``,
        ``median_shift``, ``statistic``, ``z``, ``pvalue``, ``net_change``.

    Notes
    -----
    Respondents missing from either round are ignored for that statement.  With no
    pairs every figure but ``pairs`` and ``moved`` is NaN.  When nobody moved
    (``moved == 0``), the test is undefined and ``statistic``, ``z`` and ``pvalue``
    are NaN (SciPy would warn and return NaN); ``changed`` and ``net_change`` are 0.
    The normal approximation is rough below about 10 non-zero differences, but the
    figures are still SciPy's.  No warnings are raised.

    Integer ratings are counted per statement (ranks of ``|d|`` from counts);
    other values are handled column by column.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics
    Bulletin*, 1(6), 80-83.
    Scheibe, M., Skutsch, M., & Schofer, J. (1975). Experiments in Delphi
    methodology. In H. A. Linstone & M. Turoff (Eds.), *The Delphi Method:
    Techniques and Applications* (pp. 262-287). Addison-Wesley.

    Examples
    --------
    >>> import numpy as np
    >>> before = np.array([[5, 9], [6, 8], [7, 9], [3, np.nan], [8, 7]])
    >>> after = np.array([[7, 9], [7, 8], [7, 9], [6, 2], [9, 7]])
    >>> res = paired_change(before, after)
    >>> res.pairs.tolist(), res.changed.tolist(), res.median_shift.tolist()
    ([5, 4], [0.8, 0.0], [1.0, 0.0])
    >>> print(f"{res.pvalue[0]:.4f}", res.pvalue[1])
    0.0656 nan
    >>> res.net_change.tolist()
    [0.6, 0.0]
    """
    b = as_matrix(before, "before")
    a = as_matrix(after, "after")
    if b.shape != a.shape:
        raise ValueError(
            f"before and after must have the same shape (rows are the same respondents); "
            f"got {b.shape} and {a.shape}"
        )
    both = ~np.isnan(b) & ~np.isnan(a)
    bp = np.where(both, b, np.nan)
    ap = np.where(both, a, np.nan)
    try:
        return _paired_counted(bp, ap, max_levels=max(64, b.shape[0]))
    except NotIntegerGrid:
        return _paired_by_column(bp, ap, both)


def _paired_counted(bp: FloatArray, ap: FloatArray, max_levels: int) -> PairedChange:
    grid_b = column_counts(bp, max_levels=max_levels)
    grid_a = column_counts(ap, max_levels=max_levels)
    low = min(grid_b.low, grid_a.low)
    levels = max(grid_b.low + grid_b.levels, grid_a.low + grid_a.levels) - low
    if levels > max(max_levels, 2):
        raise NotIntegerGrid
    values = np.arange(low, low + levels, dtype=np.float64)
    count_b = grid_b.on(low, levels)
    count_a = grid_a.on(low, levels)
    d = ap - bp  # NaN outside the pairs
    # d lies on -(levels - 1) .. levels - 1; slot levels - 1 is d == 0
    count_d = column_counts(d, grid=(-(levels - 1), levels - 1)).counts
    positive = count_d[:, levels:]  # |d| = 1 .. levels-1
    negative = count_d[:, : levels - 1][:, ::-1]
    return _assemble(count_b, count_a, values, positive, negative)


def _paired_by_column(bp: FloatArray, ap: FloatArray, both: npt.NDArray[np.bool_]) -> PairedChange:
    """General values: one column at a time, each on its own grid of distinct values."""
    parts = []
    for j in range(bp.shape[1]):
        rows = both[:, j]
        xb, xa = bp[rows, j], ap[rows, j]
        values = np.unique(np.concatenate([xb, xa]))
        count_b = np.bincount(np.searchsorted(values, xb), minlength=len(values))
        count_a = np.bincount(np.searchsorted(values, xa), minlength=len(values))
        d = xa - xb
        magnitudes = np.unique(np.abs(d[d != 0]))
        slot = np.searchsorted(magnitudes, np.abs(d))
        positive = np.bincount(slot[d > 0], minlength=len(magnitudes))
        negative = np.bincount(slot[d < 0], minlength=len(magnitudes))
        parts.append(
            _assemble(
                count_b[np.newaxis].astype(np.int64),
                count_a[np.newaxis].astype(np.int64),
                values.astype(np.float64),
                positive[np.newaxis].astype(np.int64),
                negative[np.newaxis].astype(np.int64),
            )
        )
    names = list(PairedChange.__dataclass_fields__)
    return PairedChange(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    )


def _assemble(
    count_b: IntArray,
    count_a: IntArray,
    values: FloatArray,
    positive: IntArray,
    negative: IntArray,
) -> PairedChange:
    """All figures from per-statement counts.

    ``count_b``/``count_a`` count the paired ratings on the ascending grid ``values``;
    ``positive``/``negative`` count the rises/falls per ascending magnitude ``|d|``.
    """
    pairs = count_b.sum(axis=1)
    any_pairs = pairs > 0
    safe_pairs = np.maximum(pairs, 1)
    magnitude = positive + negative
    moved = magnitude.sum(axis=1)
    median_before = median_from_counts(count_b, values)
    median_after = median_from_counts(count_a, values)

    ranks = average_ranks(magnitude)
    t_plus = np.sum(ranks * positive, axis=1)
    t_minus = np.sum(ranks * negative, axis=1)
    n = moved.astype(np.float64)
    mu = n * (n + 1.0) / 4.0
    variance = (n * (n + 1.0) * (2.0 * n + 1.0) - tie_sum(magnitude) / 2.0) / 24.0
    tested = moved > 0
    z = np.full(len(pairs), np.nan)
    z[tested] = (t_plus[tested] - mu[tested]) / np.sqrt(variance[tested])
    from scipy import special  # here, not at import: a command without statistics skips scipy

    pvalue = np.where(tested, 2.0 * special.ndtr(-np.abs(np.where(tested, z, 0.0))), np.nan)
    statistic = np.where(tested, np.minimum(t_plus, t_minus), np.nan)

    moved_share = np.abs(count_a - count_b).sum(axis=1) / (2.0 * safe_pairs)
    return PairedChange(
        pairs=pairs.astype(np.int64),
        moved=moved.astype(np.int64),
        changed=np.where(any_pairs, moved / safe_pairs, np.nan),
        median_before=median_before,
        median_after=median_after,
        median_shift=median_after - median_before,
        statistic=statistic,
        z=z,
        pvalue=pvalue,
        net_change=np.where(any_pairs, moved_share, np.nan),
    )


# -------------------------------------------------------------------------- stopping


@dataclass(frozen=True, eq=False)
class Stopping:
    """Per-statement stopping decision (see :func:`stopping`)."""

    status: npt.NDArray[np.str_]
    """``"consensus"``, ``"stable"`` or ``"continue"`` per statement."""
    consensus: npt.NDArray[np.bool_]
    """The consensus rule holds on the current round."""
    stable: npt.NDArray[np.bool_]
    """Net change below the threshold and no significant Wilcoxon shift (whatever
    the consensus; ``status`` gives consensus precedence)."""
    summary: Summary
    """``summarize`` of the current round."""
    change: PairedChange
    """``paired_change(previous, current)``."""
    scale: Scale
    """The scale used (given or inferred)."""
    alpha: float
    """Significance level of the Wilcoxon test."""
    stability_threshold: float
    """Net change below which a statement counts as stable."""


def stopping(
    previous: Any,
    current: Any,
    rule: ConsensusRule | str | Mapping[str, Any],
    *,
    scale: Scale | None = None,
    alpha: float = 0.05,
    stability_threshold: float = 0.15,
    **summarize_kwargs: Any,
) -> Stopping:
    """Decide per statement whether to stop: consensus, stable, or continue.

    - ``"consensus"``: ``evaluate(summarize(current, scale, **summarize_kwargs),
      rule)`` is true;
    - ``"stable"``: otherwise, when ``net_change < stability_threshold`` and the
      Wilcoxon test finds no significant shift (``pvalue >= alpha``, or NaN because
      nobody moved) -- asking again is unlikely to change the answer;
    - ``"continue"``: anything else, including statements with no pairs (new in
      this round, or nobody answered both rounds).

    Parameters
    ----------
    previous, current : array_like, shape (respondents, statements)
        The previous and the current round, rows aligned by respondent and columns
        by statement; NaN marks a missing answer.
    rule : ConsensusRule, str or dict
        The study's consensus rule, e.g. ``"median >= 7 and agree >= 0.70"``.
    scale : Scale, optional
        The rating scale.  When omitted it is inferred as
        ``Scale(floor(min), ceil(max))`` over the ratings of both rounds, widened to
        contain the ``agree`` and ``disagree`` bands (default 7-9 and 1-3) and to at
        least two points.  Pass the study's scale: the scale-dependent measures
        (Tastle-Wierman, Leik, van der Eijk) depend on its true width.
    alpha : float, default 0.05
        Significance level of the Wilcoxon signed-rank test.
    stability_threshold : float, default 0.15
        Net change in distribution below which a statement is stable (Scheibe,
        Skutsch & Schofer 1975).
    **summarize_kwargs
        Passed to :func:`engine.summarize` (``quantile_method``, ``agree``,
        ``disagree``, ``cannot_judge``, ``cannot_judge_counts``).

    Returns
    -------
    Stopping
        ``status`` (str array), ``consensus`` and ``stable`` (bool arrays), the
        current ``summary``, the ``change`` figures and the settings used.

    References
    ----------
    Scheibe, M., Skutsch, M., & Schofer, J. (1975). Experiments in Delphi
    methodology. In H. A. Linstone & M. Turoff (Eds.), *The Delphi Method*.
    von der Gracht, H. A. (2012). Consensus measurement in Delphi studies.
    *Technological Forecasting and Social Change*, 79(8), 1525-1536.

    Examples
    --------
    >>> import numpy as np
    >>> from engine.scale import Scale
    >>> previous = np.array([[8, 2, 5], [7, 5, 6], [9, 8, 5], [6, 3, 2], [8, 9, 9]])
    >>> current = np.array([[8, 2, 5], [8, 5, 9], [9, 8, 1], [7, 3, 8], [8, 9, 9]])
    >>> res = stopping(previous, current, "median >= 7 and agree >= 0.70", scale=Scale(1, 9))
    >>> res.status.tolist()
    ['consensus', 'stable', 'continue']
    """
    prev = as_matrix(previous, "previous")
    curr = as_matrix(current, "current")
    for name, value in (("alpha", alpha), ("stability_threshold", stability_threshold)):
        if not isinstance(value, int | float) or not 0.0 < float(value) <= 1.0:
            raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    if scale is None:
        bands = (summarize_kwargs.get("agree", (7, 9)), summarize_kwargs.get("disagree", (1, 3)))
        scale = _infer_scale(prev, curr, bands)
    change = paired_change(prev, curr)
    summary = summarize(curr, scale, **summarize_kwargs)
    consensus = np.asarray(evaluate(summary, rule), dtype=bool)
    no_shift = ~(change.pvalue < alpha)  # NaN (nobody moved) counts as no shift
    stable = (change.net_change < stability_threshold) & no_shift
    status = np.where(consensus, "consensus", np.where(stable, "stable", "continue"))
    return Stopping(
        status=status,
        consensus=consensus,
        stable=stable,
        summary=summary,
        change=change,
        scale=scale,
        alpha=float(alpha),
        stability_threshold=float(stability_threshold),
    )


def _infer_scale(previous: FloatArray, current: FloatArray, bands: tuple[Any, ...]) -> Scale:
    both = [x for x in (previous, current) if not np.isnan(x).all()]
    if not both:
        raise ValueError("previous and current hold no ratings: cannot infer the scale")
    low = math.floor(min(float(np.nanmin(x)) for x in both))
    high = math.ceil(max(float(np.nanmax(x)) for x in both))
    for band in bands:
        try:
            band_low, band_high = (math.floor(float(v)) for v in band)
        except (TypeError, ValueError):
            continue  # summarize reports the malformed band
        low, high = min(low, band_low), max(high, band_high)
    return Scale(low, max(high, low + 1))


# ------------------------------------------------------------------ over many rounds


@dataclass(frozen=True, eq=False)
class RoundStability:
    """Per-statement stability across a sequence of rounds (see :func:`round_stability`).

    The (transitions, statements) arrays have one row per pair of consecutive rounds.
    """

    net_change: FloatArray
    """:attr:`PairedChange.net_change` between round ``t`` and ``t + 1``."""
    pvalue: FloatArray
    """Wilcoxon signed-rank p-value between round ``t`` and ``t + 1``."""
    stable: npt.NDArray[np.bool_]
    """Net change below the threshold and no significant shift, as in :func:`stopping`."""
    stable_run: IntArray
    """Consecutive stable transitions ending with the last round, per statement."""
    stable_since: IntArray
    """Round index (0-based) from which a statement has been stable to the last
    round, or -1 when the last transition is not stable."""
    changes: tuple[PairedChange, ...]
    """The :func:`paired_change` of each transition."""


def round_stability(
    rounds: Any, *, alpha: float = 0.05, stability_threshold: float = 0.15
) -> RoundStability:
    """Whether each statement's ratings have stopped moving, over any number of rounds.

    Parameters
    ----------
    rounds : sequence of array_like, each shape (respondents, statements)
        The ratings of each round in order, rows the same respondents and columns
        the same statements throughout (NaN where a respondent did not rate a
        statement in a round, or the statement was not asked); at least two rounds.
    alpha : float, default 0.05
        Significance level of the Wilcoxon signed-rank test.
    stability_threshold : float, default 0.15
        Net change in distribution below which a transition is stable.

    Returns
    -------
    RoundStability
        ``net_change``, ``pvalue``, ``stable`` per transition and statement,
        ``stable_run`` and ``stable_since`` per statement, and the ``changes``.

    Notes
    -----
    Transition ``t`` (round ``t`` to ``t + 1``) is stable for a statement when
    :func:`paired_change` gives ``net_change < stability_threshold`` and the
    Wilcoxon test no significant shift (``pvalue >= alpha``, or NaN because nobody
    moved), the rule :func:`stopping` applies to the last two rounds. A transition
    without pairs (NaN net change) is not stable. ``stable_run`` counts the stable
    transitions back from the last one; many Delphi studies stop asking a
    statement after one or two (Dajani, Sincoff & Talley 1979 ask for stability in
    two successive rounds).

    References
    ----------
    Scheibe, M., Skutsch, M., & Schofer, J. (1975). Experiments in Delphi
    methodology. In H. A. Linstone & M. Turoff (Eds.), *The Delphi Method*.
    Dajani, J. S., Sincoff, M. Z., & Talley, W. K. (1979). Stability and agreement
    criteria for the termination of Delphi studies. *Technological Forecasting and
    Social Change* 13(1), 83-90.

    Examples
    --------
    >>> import numpy as np
    >>> first = np.array([[3, 9], [5, 8], [7, 9], [2, 8], [8, 9]])
    >>> second = np.array([[6, 9], [6, 8], [7, 9], [5, 8], [8, 9]])
    >>> third = np.array([[6, 9], [6, 8], [7, 9], [5, 8], [8, 8]])
    >>> res = round_stability([first, second, third])
    >>> res.stable.tolist(), res.stable_run.tolist(), res.stable_since.tolist()
    ([[False, True], [True, False]], [1, 0], [1, -1])
    >>> res.net_change[1].tolist()
    [0.0, 0.2]
    """
    try:
        matrices = [as_matrix(r, f"rounds[{i}]") for i, r in enumerate(rounds)]
    except TypeError:
        raise ValueError("rounds must be a sequence of ratings matrices") from None
    if len(matrices) < 2:
        raise ValueError(f"rounds must hold at least two rounds, got {len(matrices)}")
    shapes = {m.shape for m in matrices}
    if len(shapes) != 1:
        raise ValueError(
            "every round must have the same shape (rows the same respondents, columns the "
            f"same statements); got {sorted(shapes)}"
        )
    for name, value in (("alpha", alpha), ("stability_threshold", stability_threshold)):
        if not isinstance(value, int | float) or not 0.0 < float(value) <= 1.0:
            raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    changes = tuple(paired_change(a, b) for a, b in zip(matrices, matrices[1:], strict=False))
    net = np.array([c.net_change for c in changes])
    pvalue = np.array([c.pvalue for c in changes])
    stable = (net < stability_threshold) & ~(pvalue < alpha)
    # consecutive stable transitions counted back from the last one
    unbroken = np.cumprod(stable[::-1], axis=0)
    run = unbroken.sum(axis=0).astype(np.int64)
    since = np.where(run > 0, len(matrices) - 1 - run, -1).astype(np.int64)
    return RoundStability(
        net_change=net,
        pvalue=pvalue,
        stable=stable,
        stable_run=run,
        stable_since=since,
        changes=changes,
    )
