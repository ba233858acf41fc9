"""What the opinion groups found in the ratings stand for.

:func:`engine.opinion_groups` finds groups of panelists who rate alike; this module
describes them for a report: how large each is, on which statements each differs
most from the rest of the panel, and which statements every group agrees on
(group-informed consensus: agreement that holds across the camps, not just in the
panel as a whole). Figures about groups follow the same small-group suppression as
stakeholder groups (:func:`engine.by_group`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.consensus import ConsensusRule, evaluate
from engine.descriptive import summarize, summarize_counts
from engine.groups import GroupBreakdown, by_group
from engine.scale import Scale

__all__ = ["OpinionProfiles", "describe_opinion_groups"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class OpinionProfiles:
    """Descriptions of opinion groups (see :func:`describe_opinion_groups`)."""

    groups: tuple[Any, ...]
    """Group labels, sorted; the row order of every (groups, statements) array."""
    sizes: IntArray
    """Respondents per group."""
    described: BoolArray
    """Groups with at least ``min_size`` respondents; only they are described."""
    shown: BoolArray
    """Cells with figures, as :func:`engine.by_group` decides, shape (groups, statements)."""
    median: FloatArray
    """Median of each group per statement; NaN where not shown."""
    rest_median: FloatArray
    """Median of everyone else per statement; NaN where the group is not shown or is
    the whole panel."""
    difference: FloatArray
    """``median - rest_median``."""
    distinguishing: dict[Any, IntArray]
    """Described group -> its distinguishing statements, largest ``|difference|`` first."""
    consensus: BoolArray
    """The rule holds within the group, per statement (False where not shown)."""
    agreed: BoolArray
    """Group-informed consensus per statement: shown for and met by every described
    group."""
    breakdown: GroupBreakdown
    """The per-group summaries behind these figures."""
    min_size: int
    """The threshold applied."""


def describe_opinion_groups(
    ratings: npt.ArrayLike,
    labels: npt.ArrayLike,
    scale: Scale,
    rule: ConsensusRule | str | Mapping[str, Any],
    *,
    min_size: int = 5,
    top: int = 3,
    **summarize_options: Any,
) -> OpinionProfiles:
    """Sizes, distinguishing statements and shared consensus of opinion groups.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements)
        The ratings the groups were found in; NaN marks a missing answer.
    labels : array_like, shape (respondents,)
        Each respondent's opinion group, e.g. ``opinion_groups(ratings).labels``.
    scale : Scale
        The rating scale.
    rule : ConsensusRule, str or dict
        The consensus rule applied within each group (e.g. the study's rule).
    min_size : int, default 5
        The study's ``k``: groups with fewer respondents are not described, and a
        group's figures on a statement need ``k`` raters there (:func:`engine.by_group`).
    top : int, default 3
        Most distinguishing statements listed per group.
    **summarize_options
        ``quantile_method``, ``agree``, ``disagree``, ``cannot_judge_counts`` as for
        :func:`engine.summarize`.

    Returns
    -------
    OpinionProfiles
        ``groups``, ``sizes``, ``described``, ``shown``, ``median``,
        ``rest_median``, ``difference``, ``distinguishing``, ``consensus``,
        ``agreed``, ``breakdown`` and ``min_size``.

    Notes
    -----
    Per group ``g`` and statement ``s`` where :func:`engine.by_group` shows the
    group, ``median[g, s]`` is the group's median (the summary's quantile method)
    and ``rest_median[g, s]`` the median of every other rating of ``s``, from the
    panel's counts minus the group's; both are sets of 0 or at least ``k`` raters by
    the suppression rule. A described group's distinguishing statements are those
    with the largest ``|median - rest_median|`` (non-zero, ties in statement order),
    at most ``top``. ``consensus[g, s]`` is :func:`engine.evaluate` of ``rule`` on
    the group's own summary; ``agreed[s]`` holds when at least one group is
    described and every described group is shown on ``s`` and meets the rule
    there: consensus that no camp of the panel dissents from. Groups below ``k``
    take no part, since a verdict about them would be a figure about fewer than
    ``k`` respondents.

    References
    ----------
    Small, C., Bjorkegren, M., Erkkilä, T., Shaw, L. & Megill, C. (2021). Polis:
    scaling deliberation by mapping high dimensional opinion spaces. *Recerca* 26(2),
    1-26 (group-informed consensus).
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
    validation of cluster analysis. *Journal of Computational and Applied
    Mathematics* 20, 53-65.

    Examples
    --------
    Two camps of five, opposed on the first two statements, agreed on the third:

    >>> import numpy as np
    >>> camp = np.array([[9, 2, 8], [8, 1, 9], [9, 2, 9], [8, 1, 8], [9, 2, 8]])
    >>> x = np.vstack([camp, camp * [0, 0, 1] + [10, 10, 0] - camp * [1, 1, 0]])
    >>> labels = [0] * 5 + [1] * 5  # the two camps
    >>> res = describe_opinion_groups(x, labels, Scale(1, 9), "agree >= 0.8")
    >>> res.sizes.tolist(), res.difference.tolist()
    ([5, 5], [[8.0, -6.0, 0.0], [-8.0, 6.0, 0.0]])
    >>> res.distinguishing[0].tolist(), res.agreed.tolist()
    ([0, 1], [False, False, True])
    """
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a whole number >= 1, got {top!r}")
    rule = ConsensusRule.coerce(rule)
    breakdown = by_group(ratings, scale, labels, min_size=min_size, **summarize_options)
    options = {k: v for k, v in summarize_options.items() if k != "cannot_judge"}
    panel = summarize(ratings, scale, **options).counts
    rows = np.asarray(labels, dtype=object)
    sizes = np.array([int(np.sum(rows == g)) for g in breakdown.groups], dtype=np.int64)
    shape = breakdown.shown.shape
    median = np.full(shape, np.nan)
    rest_median = np.full(shape, np.nan)
    consensus = np.zeros(shape, dtype=bool)
    quantile_method = summarize_options.get("quantile_method", "weibull")
    for i, group in enumerate(breakdown.groups):
        summary = breakdown.summaries[group]
        if summary is None:
            continue
        columns = breakdown.columns[group]
        median[i, columns] = summary.median
        # The rest's median only; its bands are the study's, not the 1-9 defaults.
        rest = summarize_counts(
            panel[columns] - summary.counts,
            scale,
            quantile_method=quantile_method,
            **{k: v for k, v in summarize_options.items() if k in ("agree", "disagree")},
        )
        rest_median[i, columns] = rest.median
        consensus[i, columns] = evaluate(summary, rule)
    difference = median - rest_median
    described = sizes >= breakdown.min_size
    distinguishing: dict[Any, IntArray] = {}
    for i, group in enumerate(breakdown.groups):
        if not described[i]:
            continue
        gap = np.abs(difference[i])
        candidates = np.flatnonzero(np.nan_to_num(gap) > 0)
        order = candidates[np.argsort(-gap[candidates], kind="stable")]
        distinguishing[group] = order[:top].astype(np.int64)
    met = breakdown.shown & consensus
    agreed: BoolArray = np.zeros(shape[1], dtype=bool)
    if described.any():
        agreed = np.asarray(met[described].all(axis=0), dtype=bool)
    return OpinionProfiles(
        groups=breakdown.groups,
        sizes=sizes,
        described=described,
        shown=np.asarray(breakdown.shown),
        median=median,
        rest_median=rest_median,
        difference=difference,
        distinguishing=distinguishing,
        consensus=consensus,
        agreed=agreed,
        breakdown=breakdown,
        min_size=breakdown.min_size,
    )
