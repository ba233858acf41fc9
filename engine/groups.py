"""Per-stakeholder-group summaries with small-group suppression.

Breaking a panel down by stakeholder group can re-identify panelists: a group of
two delegates who both rated 9 has told everyone what each of them said. So every
group with fewer than ``min_size`` respondents is suppressed, and so is any group
whose figures could be recovered by subtracting the published groups from the
panel total (complementary suppression).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._validate import as_matrix
from engine.descriptive import (
    Summary,
    _band,
    _check_method,
    _check_scale,
    _summarize_table,
    _tally,
)
from engine.scale import Scale

__all__ = ["GroupBreakdown", "by_group"]

_SUMMARIZE_OPTIONS = frozenset(
    {"quantile_method", "agree", "disagree", "cannot_judge", "cannot_judge_counts"}
)


@dataclass(frozen=True, eq=False)
class GroupBreakdown:
    """Summaries per stakeholder group.

    Attributes
    ----------
    groups : tuple
        Every group label, sorted.
    summaries : dict
        Label -> :class:`~engine.descriptive.Summary`, or ``None`` when suppressed.
    suppressed : dict
        Label -> the reason it is suppressed (only suppressed groups).
    sizes : dict
        Label -> number of respondents, for unsuppressed groups only (a suppressed
        group's size is itself disclosive).
    min_size : int
        The threshold that was applied.
    """

    groups: tuple[Any, ...]
    summaries: dict[Any, Summary | None]
    suppressed: dict[Any, str]
    sizes: dict[Any, int]
    min_size: int


def _labels(groups: Any, rows: int) -> list[Any]:
    array = np.asarray(groups, dtype=object)
    if array.ndim != 1 or array.shape[0] != rows:
        raise ValueError(
            f"groups must give one label per respondent (row): expected {rows}, "
            f"got shape {array.shape}"
        )
    labels = [v.item() if isinstance(v, np.generic) else v for v in array.tolist()]
    for label in labels:
        if label is None or (isinstance(label, float) and label != label):
            raise ValueError("groups has a missing label (None or NaN); give every respondent one")
    return labels


def by_group(
    ratings: npt.ArrayLike,
    scale: Scale,
    groups: npt.ArrayLike,
    *,
    min_size: int = 5,
    **summarize_options: Any,
) -> GroupBreakdown:
    """Summarize each stakeholder group, suppressing groups that are too small.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing answer.
    scale : Scale
        The rating scale.
    groups : array_like, shape (respondents,)
        The stakeholder group label of each respondent (row); labels must be
        mutually sortable (all strings, or all numbers).
    min_size : int, default 5
        Smallest number of respondents a group needs to be reported (the study's
        ``k``).
    **summarize_options
        ``quantile_method``, ``agree``, ``disagree``, ``cannot_judge_counts`` as
        for :func:`engine.summarize`. ``cannot_judge`` here is a
        ``(respondents, statements)`` boolean mask of "cannot judge" answers, so
        that each group gets its own counts.

    Returns
    -------
    GroupBreakdown
        ``groups`` (sorted labels), ``summaries`` (label -> Summary or None),
        ``suppressed`` (label -> reason), ``sizes`` (unsuppressed groups only).

    Notes
    -----
    A group's size is its number of respondents (rows), whether or not they rated
    every statement. Two rules suppress a group:

    1. it has fewer than ``min_size`` respondents;
    2. complementary suppression: if exactly one group is suppressed by rule 1,
       the panel total minus the published groups would reveal it, so the
       smallest remaining group (ties: first label in sort order) is suppressed
       too. With two or more groups suppressed by rule 1 only their combined
       figures can be recovered, which is the same disclosure as a group of their
       combined size.

    Suppressed groups carry no figures at all, not even their size. Missing
    ratings (NaN) are left out of each group's statistics as in
    :func:`engine.summarize`.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., et al. (2012). *Statistical
    Disclosure Control*. Wiley, chapter 4 (primary and secondary cell suppression).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([9, 8, 7, 9, 8, 2, 3, 2, 2, 1, 5, 6])
    >>> g = ["ngo"] * 5 + ["state"] * 5 + ["academia"] * 2
    >>> b = by_group(r, Scale(1, 9), g, min_size=5)
    >>> b.groups
    ('academia', 'ngo', 'state')
    >>> b.suppressed["academia"]
    'fewer than 5 respondents'
    >>> b.summaries["ngo"] is None, b.summaries["state"] is None
    (True, False)
    """
    _check_scale(scale)
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise ValueError(f"min_size must be a whole number >= 1, got {min_size!r}")
    unknown = set(summarize_options) - _SUMMARIZE_OPTIONS
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(sorted(unknown))}; by_group accepts "
            f"{', '.join(sorted(_SUMMARIZE_OPTIONS))}"
        )
    x = as_matrix(ratings, check_finite=False)
    labels = _labels(groups, x.shape[0])
    try:
        ordered = tuple(sorted(set(labels)))
    except TypeError:
        raise ValueError(
            "groups labels must be mutually sortable (all strings or all numbers)"
        ) from None
    method = summarize_options.get("quantile_method", "weibull")
    _check_method(method, "quantile_method")
    agree = _band(summarize_options.get("agree", (7, 9)), scale, "agree")
    disagree = _band(summarize_options.get("disagree", (1, 3)), scale, "disagree")
    mask = summarize_options.get("cannot_judge")
    cannot = None
    if mask is not None:
        cannot = np.asarray(mask)
        if cannot.ndim == 1 and x.shape[1] == 1:
            cannot = cannot[:, np.newaxis]
        if cannot.shape != x.shape:
            raise ValueError(
                f"cannot_judge must be a (respondents, statements) mask of shape {x.shape}, "
                f"got {cannot.shape}"
            )
        if not np.isin(cannot, (0, 1)).all():
            raise ValueError("cannot_judge must be a boolean (0/1) mask")
        cannot = cannot.astype(np.int64)

    size = Counter(labels)
    min_size = int(min_size)
    suppressed = {g: f"fewer than {min_size} respondents" for g in ordered if size[g] < min_size}
    if len(suppressed) == 1 and len(ordered) > 1:
        rest = [g for g in ordered if g not in suppressed]
        neighbour = min(rest, key=size.__getitem__)  # ties: the first, in sort order
        suppressed[neighbour] = (
            "complementary suppression: with one other group suppressed, this group's "
            "figures and the panel total would reveal it by subtraction"
        )

    position = {g: i for i, g in enumerate(ordered)}
    group_index = np.array([position[g] for g in labels], dtype=np.intp)
    tables = _tally(x, scale, group_index, len(ordered))
    cannot_by_group = np.zeros((len(ordered), x.shape[1]), dtype=np.int64)
    if cannot is not None:
        np.add.at(cannot_by_group, group_index, cannot)
    summaries: dict[Any, Summary | None] = {}
    sizes: dict[Any, int] = {}
    for i, label in enumerate(ordered):
        if label in suppressed:
            summaries[label] = None
            continue
        summaries[label] = _summarize_table(
            tables[i],
            scale,
            quantile_method=method,
            agree_band=agree,
            disagree_band=disagree,
            cannot_judge=cannot_by_group[i],
            cannot_judge_counts=bool(summarize_options.get("cannot_judge_counts", False)),
        )
        sizes[label] = size[label]
    return GroupBreakdown(
        groups=ordered,
        summaries=summaries,
        suppressed={g: suppressed[g] for g in ordered if g in suppressed},
        sizes=sizes,
        min_size=min_size,
    )
