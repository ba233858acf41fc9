"""Per-stakeholder-group summaries with small-group suppression that subtraction cannot beat.

Breaking a panel down by stakeholder group can re-identify panelists: a group of
two delegates who both rated 9 has told everyone what each of them said. So a
group's figures on a statement are published only when enough of its members
*rated* that statement, and only when the panel total minus every published group
(the part left hidden) is itself empty or large enough. Suppression is decided per
cell (statement and criterion): a group can be shown on one statement and hidden on
another where several of its members said "cannot judge".

:func:`shown_cells` is the rule on a table of rater counts, :func:`by_group` applies
it to a ratings matrix and summarises the cells it shows, and :func:`common_groups`
chooses the group labels a respondent-level export may carry across a whole round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine._validate import as_matrix
from engine.descriptive import Summary, _band, _summarize_table
from engine.frequencies import _check_scale, _tally
from engine.quantiles import _check_method
from engine.scale import Scale

__all__ = ["CommonGroups", "GroupBreakdown", "by_group", "common_groups", "shown_cells"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

_SUMMARIZE_OPTIONS = frozenset(
    {"quantile_method", "agree", "disagree", "cannot_judge", "cannot_judge_counts"}
)


def _check_min_size(min_size: Any) -> int:
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise ValueError(f"min_size must be a whole number >= 1, got {min_size!r}")
    return int(min_size)


def _suppress(raters: IntArray, min_size: int) -> tuple[BoolArray, BoolArray]:
    """``(shown, complement)``: the cells shown, and those hidden only to protect others."""
    shown = raters >= min_size
    hidden = raters.sum(axis=0) - np.where(shown, raters, 0).sum(axis=0)
    short = (hidden > 0) & (hidden < min_size) & shown.any(axis=0)
    complement = np.zeros_like(shown)
    if short.any():
        # One more group always suffices: it has >= min_size raters of its own.
        sentinel = np.iinfo(np.int64).max
        smallest = np.argmin(np.where(shown, raters, sentinel), axis=0)  # ties: first group
        columns = np.flatnonzero(short)
        shown[smallest[columns], columns] = False
        complement[smallest[columns], columns] = True
    return shown, complement


def shown_cells(raters: npt.ArrayLike, *, min_size: int = 5) -> BoolArray:
    """Which group cells may be published, from the number of raters in each.

    Parameters
    ----------
    raters : array_like of int, shape (groups, cells)
        ``raters[g, c]``: members of group ``g`` who gave cell ``c`` (a statement on
        one criterion) a rating. "Cannot judge" and missing answers are not ratings.
        The groups must partition the raters of each cell (every rater in exactly one
        group), so that the column sums are the cell totals.
    min_size : int, default 5
        The study's ``k``.

    Returns
    -------
    numpy.ndarray of bool, shape (groups, cells)
        True where group ``g``'s figures on cell ``c`` may be shown.

    Notes
    -----
    Per cell, independently of the others:

    1. a group is a candidate when ``raters >= k``;
    2. the *hidden part* is the cell total minus the raters of every candidate;
       when ``0 < hidden < k``, the candidate with the fewest raters (ties: the first
       group) is hidden too, which makes ``hidden >= k``.

    The published sets of a cell are then the total and the shown groups, all
    disjoint unions of shown groups and the hidden part, each of which is empty or
    has at least ``k`` raters. Every linear combination of published counts (per
    scale point, or ``n``) that counts a set of raters counts such a union, so no
    subtraction isolates fewer than ``k`` raters. The panel total itself is outside
    this rule: with fewer than ``k`` raters in all, no group is shown.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., et al. (2012). *Statistical
    Disclosure Control*. Wiley, sections 4.2-4.3 (primary and secondary cell
    suppression).

    Examples
    --------
    The union attack of two small groups next to two large ones: total minus the
    large groups would give the four raters of the small ones, so one large group
    is hidden as well.

    >>> shown_cells([[2], [2], [8], [8]], min_size=5).ravel().tolist()
    [False, False, False, True]
    """
    k = _check_min_size(min_size)
    try:
        table = np.asarray(raters, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"raters must be whole numbers, got {raters!r}") from None
    if table.ndim == 1:
        table = table[:, np.newaxis]
    if table.ndim != 2:
        raise ValueError(f"raters must be 2-D (groups x cells), got {table.ndim}-D")
    if not np.isfinite(table).all() or (table < 0).any() or (table != np.round(table)).any():
        raise ValueError("raters must hold non-negative whole numbers (counts of raters)")
    return _suppress(table.astype(np.int64), k)[0]


@dataclass(frozen=True, eq=False)
class GroupBreakdown:
    """Summaries per stakeholder group, each shown only on the statements it may be.

    Attributes
    ----------
    groups : tuple
        Every group label, sorted; the row order of ``shown`` and ``reasons``.
    shown : numpy.ndarray of bool, shape (groups, statements)
        True where the group's figures on the statement may be published.
    reasons : numpy.ndarray of str (object), shape (groups, statements)
        Why a cell is hidden: ``"raters"`` (fewer than ``min_size`` raters) or
        ``"complement"`` (enough raters, hidden so that subtraction from the panel
        total cannot reveal smaller groups); ``""`` where shown.
    summaries : dict
        Label -> :class:`~engine.descriptive.Summary` of the statements where the
        group is shown (the columns ``columns[label]``, in order), or ``None`` when
        it is shown on none. Hidden cells are left out, so no figure of theirs
        (not even ``n``) is computed into a result.
    columns : dict
        Label -> int array of the statement indices its summary covers.
    min_size : int
        The threshold that was applied.
    """

    groups: tuple[Any, ...]
    shown: BoolArray
    reasons: ObjectArray
    summaries: dict[Any, Summary | None]
    columns: dict[Any, IntArray]
    min_size: int

    def __post_init__(self) -> None:
        for array in (self.shown, self.reasons, *self.columns.values()):
            array.setflags(write=False)

    @property
    def n_statements(self) -> int:
        """Number of statements (columns) of the breakdown."""
        return int(self.shown.shape[1])

    def is_shown(self, group: Any, statement: int) -> bool:
        """Whether ``group``'s figures on statement index ``statement`` may be shown."""
        return bool(self.shown[self.groups.index(group), statement])

    def records(self, group: Any) -> list[dict[str, Any] | None]:
        """One entry per statement: the JSON-safe record where shown, else ``None``.

        A label that is not among ``groups`` (no respondent in it) gets ``None``
        everywhere.

        Examples
        --------
        >>> b = by_group([[7, 7], [8, 8], [9, np.nan]], Scale(1, 9), ["a"] * 3, min_size=3)
        >>> [None if r is None else r["n"] for r in b.records("a")]
        [3, None]
        """
        result: list[dict[str, Any] | None] = [None] * self.n_statements
        summary = self.summaries.get(group)
        if summary is not None:
            for column, record in zip(self.columns[group].tolist(), summary.records(), strict=True):
                result[column] = record
        return result


def _labels(groups: Any, rows: int) -> tuple[tuple[Any, ...], npt.NDArray[np.intp]]:
    """Sorted distinct labels, and the index of each row's label among them."""
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
    try:
        ordered = tuple(sorted(set(labels)))
    except TypeError:
        raise ValueError(
            "groups labels must be mutually sortable (all strings or all numbers)"
        ) from None
    position = {g: i for i, g in enumerate(ordered)}
    return ordered, np.array([position[g] for g in labels], dtype=np.intp)


def _reasons(shown: BoolArray, complement: BoolArray) -> ObjectArray:
    reasons = np.full(shown.shape, "raters", dtype=object)
    reasons[complement] = "complement"
    reasons[shown] = ""
    return reasons


def by_group(
    ratings: npt.ArrayLike,
    scale: Scale,
    groups: npt.ArrayLike,
    *,
    min_size: int = 5,
    **summarize_options: Any,
) -> GroupBreakdown:
    """Summarize each stakeholder group on the statements where it may be shown.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing or "cannot judge" answer.
    scale : Scale
        The rating scale.
    groups : array_like, shape (respondents,)
        The stakeholder group label of each respondent (row); labels must be
        mutually sortable (all strings, or all numbers).
    min_size : int, default 5
        Smallest number of *raters* a group needs on a statement to be reported
        there (the study's ``k``).
    **summarize_options
        ``quantile_method``, ``agree``, ``disagree``, ``cannot_judge_counts`` as
        for :func:`engine.summarize`. ``cannot_judge`` here is a
        ``(respondents, statements)`` boolean mask of "cannot judge" answers, so
        that each group gets its own counts.

    Returns
    -------
    GroupBreakdown
        ``groups`` (sorted labels), ``shown`` and ``reasons`` (groups x
        statements), ``summaries`` and ``columns`` (the shown statements of each
        group); :meth:`GroupBreakdown.records` gives one record or ``None`` per
        statement.

    Notes
    -----
    A group's raters on a statement are its members with a rating there (not NaN):
    "cannot judge" and missing answers do not count, so a group of five where one
    cannot judge has four raters and is not shown on that statement. Which cells
    are shown follows :func:`shown_cells` on those counts, statement by statement:
    at least ``min_size`` raters, and the hidden part (the statement's raters
    outside every shown group) empty or at least ``min_size``; otherwise the
    smallest shown group is hidden too (ties: the first label in sort order).

    A group's summary is :func:`engine.summarize` on its rows, restricted to its
    shown statements; hidden cells carry no figures at all.

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
    >>> b.shown[:, 0].tolist(), b.reasons[:, 0].tolist()
    ([False, False, True], ['raters', 'complement', ''])
    >>> b.summaries["state"].median.tolist()
    [2.0]
    """
    _check_scale(scale)
    k = _check_min_size(min_size)
    unknown = set(summarize_options) - _SUMMARIZE_OPTIONS
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(sorted(unknown))}; by_group accepts "
            f"{', '.join(sorted(_SUMMARIZE_OPTIONS))}"
        )
    x = as_matrix(ratings, check_finite=False)
    ordered, group_index = _labels(groups, x.shape[0])
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

    tables = _tally(x, scale, group_index, len(ordered))  # (groups, statements, points)
    shown, complement = _suppress(tables.sum(axis=2), k)
    cannot_by_group = np.zeros((len(ordered), x.shape[1]), dtype=np.int64)
    if cannot is not None:
        np.add.at(cannot_by_group, group_index, cannot)
    summaries: dict[Any, Summary | None] = {}
    columns: dict[Any, IntArray] = {}
    for i, label in enumerate(ordered):
        columns[label] = np.flatnonzero(shown[i]).astype(np.int64)
        if not columns[label].size:
            summaries[label] = None
            continue
        summaries[label] = _summarize_table(
            tables[i][columns[label]],
            scale,
            quantile_method=method,
            agree_band=agree,
            disagree_band=disagree,
            cannot_judge=cannot_by_group[i][columns[label]],
            cannot_judge_counts=bool(summarize_options.get("cannot_judge_counts", False)),
        )
    return GroupBreakdown(
        groups=ordered,
        shown=shown,
        reasons=_reasons(shown, complement),
        summaries=summaries,
        columns=columns,
        min_size=k,
    )


@dataclass(frozen=True)
class CommonGroups:
    """Which group labels a respondent-level export of one round may carry.

    Attributes
    ----------
    labelled : tuple
        Groups whose label may mark their respondents' rows, sorted.
    unlabelled : tuple
        The other groups, sorted: their respondents are marked only as suppressed.
    exposed : tuple
        Unlabelled groups that :func:`by_group` shows on at least one cell. While
        there is one, the unlabelled respondents' rows must not be linkable to each
        other across cells (no shared respondent code, an order that says nothing):
        matching a shown group's published counts against those rows could single
        out some of its members, whose answers on the cells where the group is
        hidden would then follow.
    min_size : int
        The threshold that was applied.
    """

    labelled: tuple[Any, ...]
    unlabelled: tuple[Any, ...]
    exposed: tuple[Any, ...]
    min_size: int

    @property
    def linkable(self) -> bool:
        """Whether the unlabelled respondents' rows may share a code across cells."""
        return not self.exposed


def common_groups(
    ratings: npt.ArrayLike, groups: npt.ArrayLike, *, min_size: int = 5
) -> CommonGroups:
    """The groups that may label a respondent's rows across a whole round.

    Parameters
    ----------
    ratings : array_like, shape (respondents, cells)
        Every cell of the round side by side (statements x criteria, e.g. one
        criterion's matrix after another); NaN marks "cannot judge" or no answer.
        Only whether a rating is present matters. Rows are the respondents the
        export lists.
    groups : array_like, shape (respondents,)
        The stakeholder group of each respondent (mutually sortable labels).
    min_size : int, default 5
        The study's ``k``.

    Returns
    -------
    CommonGroups
        ``labelled``, ``unlabelled``, ``exposed`` and ``linkable``.

    Notes
    -----
    A labelled group's rows show its members' ratings on every cell, so a group is
    labelled only if

    1. :func:`shown_cells` shows it on every cell that has a rating at all (a cell
       nobody rated discloses no rating), and
    2. it has at least ``min_size`` respondents.

    Then the respondents marked "suppressed" must number 0 or at least
    ``min_size``; if not, the labelled group with the fewest respondents (ties:
    the first label) is unlabelled too, which is enough since it has at least
    ``min_size``. On each cell the suppressed rows are then the hidden part plus
    whole shown groups, so they too number 0 or at least ``min_size``.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., et al. (2012). *Statistical
    Disclosure Control*. Wiley, chapter 5 (microdata: a released variable must
    not split the file into small identifiable sets).

    Examples
    --------
    ``b`` has five members, but one cannot judge the second statement, so ``b``
    is hidden there and may not label its rows; ``b``'s figures on the first
    statement are published, so the suppressed rows must not be linkable.

    >>> import numpy as np
    >>> x = np.array([[7, 7]] * 6 + [[5, 5]] * 4 + [[5, np.nan]])
    >>> c = common_groups(x, ["a"] * 6 + ["b"] * 5, min_size=5)
    >>> c.labelled, c.unlabelled, c.linkable
    ((), ('a', 'b'), False)
    """
    k = _check_min_size(min_size)
    x = as_matrix(ratings, check_finite=False)
    ordered, group_index = _labels(groups, x.shape[0])
    present = ~np.isnan(x)
    raters = np.array(  # (groups, cells); one pass per group is cheap: groups are few
        [present[group_index == g].sum(axis=0) for g in range(len(ordered))], dtype=np.int64
    ).reshape(len(ordered), x.shape[1])
    shown, _ = _suppress(raters, k)
    respondents = np.bincount(group_index, minlength=len(ordered)).astype(np.int64)
    rated = raters.sum(axis=0) > 0
    labelled = shown[:, rated].all(axis=1) & (respondents >= k)
    left = int(respondents[~labelled].sum())
    if 0 < left < k and labelled.any():
        sentinel = np.iinfo(np.int64).max
        labelled[int(np.argmin(np.where(labelled, respondents, sentinel)))] = False
    exposed = ~labelled & shown.any(axis=1)
    return CommonGroups(
        labelled=tuple(g for g, keep in zip(ordered, labelled.tolist(), strict=True) if keep),
        unlabelled=tuple(g for g, keep in zip(ordered, labelled.tolist(), strict=True) if not keep),
        exposed=tuple(g for g, keep in zip(ordered, exposed.tolist(), strict=True) if keep),
        min_size=k,
    )
