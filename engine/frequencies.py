"""Frequency tables: the counts per statement and scale point every statistic starts from.

:func:`counts` tallies raw ratings in one blocked pass (``engine._counting``);
:func:`_as_counts` checks a table a caller already has.

Conventions shared with the rest of the per-statement statistics
(:mod:`engine.descriptive`): ``ratings`` is a ``(respondents, statements)`` array, a
1-D array is one statement; ``NaN`` marks a missing answer or "cannot judge" and is
left out of ``n`` and of every statistic; a statement with no ratings gets ``NaN``
results and no warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from engine._counting import NotIntegerGrid, column_counts
from engine._validate import as_matrix, check_on_scale
from engine.scale import Scale

__all__ = ["counts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
