"""Counting instead of sorting: the fast path for ratings on a small integer grid.

Ratings are small integers, so every rank-based statistic of the engine (ranks with
ties averaged, tie corrections, medians, coincidence matrices) follows from how often
each value occurs per column, per row or per group.  One ``np.bincount`` over codes
``key * levels + (value - low)`` produces all those counts at once.

The matrix is processed in blocks of rows small enough to stay in the CPU cache, and
the codes are built with in-place float operations (NaN becomes a "missing" slot via
``np.fmax``), which makes the whole count cheaper than masking out the NaN entries.
When a value is not an integer the helpers raise :class:`NotIntegerGrid` and the
caller falls back to a general (sorting) path.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: About this many matrix cells are coded per block (1 MiB of float64).
_BLOCK_CELLS = 1 << 17


class NotIntegerGrid(Exception):
    """Raised when the data are not integers on a modest range; use the general path."""


def integer_grid(*arrays: FloatArray, max_levels: int) -> tuple[int, int]:
    """Return ``(low, levels)`` spanning every non-NaN value of ``arrays``.

    Raises :class:`NotIntegerGrid` when the extremes are not integers or the range has
    more than ``max_levels`` points.  The integrality of the other values is checked
    while counting.  All-NaN input gives ``(0, 1)``.
    """
    lows, highs = [], []
    for array in arrays:
        if array.size:
            lows.append(float(np.fmin.reduce(array, axis=None)))
            highs.append(float(np.fmax.reduce(array, axis=None)))
    lows = [v for v in lows if not np.isnan(v)]
    highs = [v for v in highs if not np.isnan(v)]
    if not lows:
        return 0, 1
    low, high = min(lows), max(highs)
    if low != np.floor(low) or high != np.floor(high):
        raise NotIntegerGrid
    levels = int(high - low) + 1
    if levels > max(max_levels, 2):
        raise NotIntegerGrid
    return int(low), levels


def coded_blocks(
    x: FloatArray, low: int, levels: int, column_stride: int
) -> Iterator[tuple[int, npt.NDArray[np.intp]]]:
    """Yield ``(start_row, codes)`` for consecutive blocks of rows of ``x``.

    ``codes[i, j] = j * column_stride + (x[i, j] - low + 1)``, and ``j * column_stride``
    alone (slot 0) where ``x`` is NaN, so each column owns ``levels + 1`` slots when
    ``column_stride == levels + 1``, or all columns share them when it is 0.  The
    yielded array is a reused buffer: consume it before the next step.

    Raises :class:`NotIntegerGrid` on a value that is not an integer.
    """
    rows, cols = x.shape
    block = max(1, _BLOCK_CELLS // max(cols, 1))
    offsets = np.arange(cols, dtype=np.float64) * column_stride + (1 - low)
    floats = np.empty((min(block, rows), cols), dtype=np.float64)
    codes = np.empty((min(block, rows), cols), dtype=np.intp)
    for start in range(0, rows, block):
        part = x[start : start + block]
        f = floats[: part.shape[0]]
        c = codes[: part.shape[0]]
        np.fmax(part, low - 1, out=f)  # NaN -> low - 1, which lands in slot 0
        f += offsets
        np.copyto(c, f, casting="unsafe")
        if not np.array_equal(c, f):
            raise NotIntegerGrid
        yield start, c


def column_counts(x: FloatArray, low: int, levels: int) -> IntArray:
    """Counts per column and grid value: shape ``(columns, levels)``."""
    cols = x.shape[1]
    stride = levels + 1
    total = np.zeros(cols * stride, dtype=np.int64)
    for _, codes in coded_blocks(x, low, levels, stride):
        total += np.bincount(codes.ravel(), minlength=cols * stride)
    return total.reshape(cols, stride)[:, 1:]


def keyed_column_counts(
    x: FloatArray, low: int, levels: int, keys: npt.NDArray[np.intp], n_keys: int
) -> IntArray:
    """Counts per row key, column and grid value: shape ``(n_keys, columns, levels)``.

    ``keys[i]`` in ``0..n_keys-1`` is the group of row ``i``.
    """
    cols = x.shape[1]
    stride = levels + 1
    per_key = cols * stride
    total = np.zeros(n_keys * per_key, dtype=np.int64)
    for start, codes in coded_blocks(x, low, levels, stride):
        part = keys[start : start + codes.shape[0]]
        first, last = int(part.min()), int(part.max())
        codes += ((part - first) * per_key)[:, np.newaxis]
        size = (last - first + 1) * per_key
        total[first * per_key : first * per_key + size] += np.bincount(
            codes.ravel(), minlength=size
        )
    return total.reshape(n_keys, cols, stride)[:, :, 1:]


def average_ranks(counts: IntArray) -> FloatArray:
    """Average (mid) rank of each grid value given counts along the last axis.

    The values counted in slot ``k`` occupy ranks ``below + 1 .. below + counts``, so
    their average rank is ``below + (counts + 1) / 2``.
    """
    cum = np.cumsum(counts, axis=-1)
    return (cum - counts).astype(np.float64) + (counts + 1) / 2.0


def tie_sum(counts: IntArray) -> FloatArray:
    """``sum(t**3 - t)`` over the tie groups, along the last axis."""
    t = counts.astype(np.float64)
    result: FloatArray = np.sum(t**3 - t, axis=-1)
    return result


def median_from_counts(counts: IntArray, values: FloatArray) -> FloatArray:
    """Median per row of a count table over ascending ``values``; NaN for an empty row.

    The median of ``N`` sorted values is the mean of the values at 0-based positions
    ``(N - 1) // 2`` and ``N // 2``.
    """
    n = counts.sum(axis=-1)
    if counts.shape[-1] == 0:
        return np.full(n.shape, np.nan)
    cum = np.cumsum(counts, axis=-1)
    lo_pos = (n - 1) // 2
    hi_pos = n // 2
    lo_idx = np.minimum((cum <= lo_pos[..., np.newaxis]).sum(axis=-1), counts.shape[-1] - 1)
    hi_idx = np.minimum((cum <= hi_pos[..., np.newaxis]).sum(axis=-1), counts.shape[-1] - 1)
    median = (values[lo_idx] + values[hi_idx]) / 2.0
    return np.where(n > 0, median, np.nan)
