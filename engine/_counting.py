"""Counting instead of sorting: the fast path for ratings on a small integer grid.

Ratings are small integers, so every rank-based statistic of the engine (ranks with
ties averaged, tie corrections, medians, quantiles, coincidence matrices) follows from
how often each value occurs per column, per row or per group of rows.  This module is
the engine's one implementation of that count; every other module calls it.

How it stays close to the cost of reading the matrix once:

* **One fused pass.**  The matrix is read in blocks of rows small enough to stay in
  the CPU cache.  Each block is range-checked (``np.fmin.reduce``/``np.fmax.reduce``,
  which skip NaN), cast to ``uint8`` codes and checked to be whole numbers while it is
  still in the cache; no full-size temporary is ever made, so memory stays bounded.
* **Comparisons instead of ``np.bincount``** on a narrow grid (up to
  ``_NARROW_LEVELS`` values): one broadcast comparison of the ``uint8`` codes against
  the grid values gives a ``(values, rows, columns)`` mask whose sums along the rows
  (or the columns) are the counts.  These are SIMD loops over bytes, several times
  cheaper than ``np.bincount``, which first converts its input to ``intp``.  Wider
  grids use ``np.bincount`` on ``intp`` codes.
* **Threads.**  numpy releases the GIL inside these loops, so a large matrix is
  counted by one thread per available core, each taking the next block from a
  shared queue and keeping its own table; the tables are added at the end.

The integer check is exact.  In a block whose non-NaN values span ``lo..hi`` (whole
numbers), each value is cast to a code (its truncation, well defined because it is in
range); NaN becomes some code, platform-defined but in practice 0, outside the grid.
Let ``valid`` be the number of cells equal to their own code and ``counted`` the
number of codes on the grid.  Every non-NaN value is counted and only whole numbers
are valid, so ``counted == valid`` exactly when no value is fractional and no NaN
landed on the grid.  Anything else raises :class:`NotIntegerGrid` and the caller
takes its general (sorting) path, which gives the same results.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ByteArray = npt.NDArray[np.uint8]

T = TypeVar("T")

#: About this many matrix cells are coded per block: 1 MiB of float64, about an L2
#: cache.  Fewer, larger blocks mean fewer numpy calls (each holds the GIL for a
#: moment); 2**17 was faster than 2**15 or 2**16 with one thread and with two.
_BLOCK_CELLS = 1 << 17
#: Sums of ``uint8`` masks over at most this many rows cannot overflow.
_MAX_BLOCK_ROWS = 255
#: Grids of up to this many values are counted by comparison, wider ones by bincount.
_NARROW_LEVELS = 16
#: Matrices smaller than this are counted by the calling thread alone.
_PARALLEL_CELLS = 1 << 20
#: The code values 0..255, to compare ``uint8`` codes against.
_CODE_VALUES: ByteArray = np.arange(256, dtype=np.uint8)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_WORKERS = max(1, min(_cores(), 8))


class NotIntegerGrid(Exception):
    """Raised when the data are not integers on a modest range; use the general path."""


class GridCounts(NamedTuple):
    """Counts on the integer grid ``low, low + 1, ..., low + levels - 1`` (last axis)."""

    low: int
    counts: IntArray

    @property
    def levels(self) -> int:
        """Number of grid values."""
        return int(self.counts.shape[-1])

    @property
    def values(self) -> FloatArray:
        """The grid values, ascending."""
        return np.arange(self.low, self.low + self.levels, dtype=np.float64)

    def on(self, low: int, levels: int) -> IntArray:
        """The counts on the wider grid ``low .. low + levels - 1`` (zeros added)."""
        shape = (*self.counts.shape[:-1], levels)
        result = np.zeros(shape, dtype=np.int64)
        start = self.low - low
        result[..., start : start + self.levels] = self.counts
        return result


# ------------------------------------------------------------------------- the pass


def _block_rows(cols: int) -> int:
    return max(1, min(_MAX_BLOCK_ROWS, _BLOCK_CELLS // max(cols, 1)))


def _in_parallel(task: Callable[[Iterator[int]], T], rows: int, cols: int, step: int) -> list[T]:
    """Run ``task`` in the calling thread and, for a large matrix, in helper threads.

    Every copy of ``task`` takes the start rows of blocks from one shared iterator
    until none is left (``next`` on a range iterator is atomic under the GIL), so a
    thread that gets less CPU, on a busy machine, simply counts fewer blocks.  A copy
    that fails drains the iterator, so the others stop early too.
    """
    starts = iter(range(0, rows, step))
    blocks = -(-rows // step)
    helpers = min(_WORKERS, blocks) - 1 if rows * cols >= _PARALLEL_CELLS else 0

    def run() -> T:
        try:
            return task(starts)
        except BaseException:
            deque(starts, maxlen=0)
            raise

    if helpers <= 0:
        return [task(starts)]
    with ThreadPoolExecutor(helpers) as pool:
        futures = [pool.submit(run) for _ in range(helpers)]
        first = run()
        return [first, *(future.result() for future in futures)]


class _Coder:
    """Codes blocks of rows of one matrix into reused, cache-sized buffers."""

    def __init__(
        self, block_rows: int, cols: int, grid: tuple[int, int] | None, max_levels: int
    ) -> None:
        self.grid = grid
        self.max_levels = max(max_levels, 2)
        self.shape = (block_rows, cols)
        self.codes: ByteArray = np.empty(self.shape, dtype=np.uint8)
        self.equal: BoolArray = np.empty(self.shape, dtype=bool)
        self._shifted: FloatArray | None = None
        self._mask: BoolArray | None = None
        self._wide: npt.NDArray[np.intp] | None = None

    def shifted(self, rows: int) -> FloatArray:
        if self._shifted is None:
            self._shifted = np.empty(self.shape, dtype=np.float64)
        return self._shifted[:rows]

    def span(self, block: FloatArray) -> tuple[int, int] | None:
        """``(lo, hi)`` of the block's non-NaN values; None when all are NaN."""
        lo = float(np.fmin.reduce(block, axis=None))
        if lo != lo:
            return None
        hi = float(np.fmax.reduce(block, axis=None))
        if not (lo.is_integer() and hi.is_integer()):  # also rejects +-inf
            raise NotIntegerGrid
        if self.grid is not None and (lo < self.grid[0] or hi > self.grid[1]):
            raise NotIntegerGrid
        if hi - lo + 1 > self.max_levels:
            raise NotIntegerGrid
        return int(lo), int(hi)

    def spanned(
        self, blocks: Iterator[tuple[int, FloatArray]]
    ) -> Iterator[tuple[int, FloatArray, int, int]]:
        """``(start row, block, lo, hi)`` of each block with a rating (see :meth:`span`)."""
        for begin, block in blocks:
            span = self.span(block)
            if span is not None:
                yield begin, block, *span

    def narrow(
        self,
        block: FloatArray,
        lo: int,
        hi: int,
        reduce: Callable[[ByteArray], npt.NDArray[np.integer]],
    ) -> tuple[ByteArray, int, npt.NDArray[np.integer]]:
        """``(codes, first, reduce(mask))`` for a block spanning at most 255 values.

        ``codes`` are ``uint8``: the rating itself when ``1 <= lo <= hi <= 255``,
        otherwise ``rating - lo + 1``; ``first`` is the code of ``lo``.  ``mask[k]``
        (``uint8``, shape ``(levels, rows, columns)``) marks the cells of code
        ``first + k``, and ``reduce`` sums it along rows or columns.  If the sums do
        not add up to the valid cells (see the module notes), the block is coded again
        with NaN set to code 0 explicitly, in case this platform casts NaN onto the
        grid; a second mismatch means a fractional value.

        Raises :class:`NotIntegerGrid` on a value that is not an integer.
        """
        rows = block.shape[0]
        codes = self.codes[:rows]
        if lo >= 1 and hi <= 255:
            exact, first = block, lo
        else:
            exact, first = self.shifted(rows), 1
            np.subtract(block, lo - 1, out=exact)
        levels = hi - lo + 1
        if self._mask is None:
            self._mask = np.empty((_NARROW_LEVELS, *self.shape), dtype=bool)
        mask = self._mask[:levels, :rows]
        grid = _CODE_VALUES[first : first + levels, np.newaxis, np.newaxis]
        for scrub in (False, True):
            np.copyto(codes, exact, casting="unsafe")
            if scrub:
                np.copyto(codes, 0, where=np.isnan(exact))
            valid = int(np.count_nonzero(np.equal(codes, exact, out=self.equal[:rows])))
            np.equal(grid, codes, out=mask)
            part = reduce(mask.view(np.uint8))
            if int(part.sum()) == valid:
                return codes, first, part
        raise NotIntegerGrid

    def wide(self, block: FloatArray, lo: int) -> npt.NDArray[np.intp]:
        """``intp`` codes ``rating - lo + 1``, 0 for NaN, for a block of any span."""
        rows = block.shape[0]
        shifted = self.shifted(rows)
        np.subtract(block, lo - 1, out=shifted)
        np.fmax(shifted, 0.0, out=shifted)  # NaN -> 0
        if self._wide is None:
            self._wide = np.empty(self.shape, dtype=np.intp)
        codes = self._wide[:rows]
        np.copyto(codes, shifted, casting="unsafe")
        if not np.equal(codes, shifted, out=self.equal[:rows]).all():
            raise NotIntegerGrid
        return codes


class _Table:
    """Counts per (key, column, grid value) on a grid that widens as blocks arrive."""

    def __init__(
        self, n_keys: int, cols: int, grid: tuple[int, int] | None, max_levels: int
    ) -> None:
        self.max_levels = max(max_levels, 2)
        if grid is None:
            self.low, self.high = 0, -1
        else:
            self.low, self.high = grid
        self.counts = np.zeros((n_keys, cols, self.high - self.low + 1), dtype=np.int64)

    def add(self, low: int, keys: Sequence[int] | slice, part: npt.NDArray[np.integer]) -> None:
        """Add ``part`` (keys x columns x values from ``low``) to the rows ``keys``."""
        high = low + part.shape[-1] - 1
        if self.counts.shape[-1] == 0:
            self.low, self.high = low, high
            self.counts = np.zeros((*self.counts.shape[:2], high - low + 1), dtype=np.int64)
        elif low < self.low or high > self.high:
            new_low, new_high = min(low, self.low), max(high, self.high)
            if new_high - new_low + 1 > self.max_levels:
                raise NotIntegerGrid
            wider = GridCounts(self.low, self.counts).on(new_low, new_high - new_low + 1)
            self.low, self.high, self.counts = new_low, new_high, wider
        start = low - self.low
        self.counts[keys, :, start : start + part.shape[-1]] += part

    def result(self) -> GridCounts:
        if self.counts.shape[-1] == 0:  # nothing but NaN
            return GridCounts(0, np.zeros((*self.counts.shape[:2], 1), dtype=np.int64))
        return GridCounts(self.low, self.counts)


def _sum_rows(mask: ByteArray) -> ByteArray:
    """Sum ``mask`` (values x rows x columns) over the rows, overwriting it.

    Folding the bottom half of the rows onto the top half, about eight times, makes
    a few long loops where ``np.add.reduce(mask, axis=1)`` would make one short loop
    per value and row.  At most 255 rows a block, so the ``uint8`` sums cannot
    overflow.
    """
    rows = mask.shape[1]
    while rows > 1:
        half = rows // 2
        np.add(mask[:, :half], mask[:, rows - half : rows], out=mask[:, :half])
        rows -= half
    result: ByteArray = mask[:, 0]
    return result


def _sum_row_runs(starts: npt.NDArray[np.intp]) -> Callable[[ByteArray], ByteArray]:
    """:func:`_sum_rows` separately over the runs of rows beginning at ``starts``.

    The result has shape ``(values, runs, columns)``, as ``np.add.reduceat`` along
    the rows would give (which is slower, for the reason :func:`_sum_rows` gives).
    """
    bounds = [*starts.tolist(), None]

    def reduce(mask: ByteArray) -> ByteArray:
        runs = [_sum_rows(mask[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return np.stack(runs, axis=1)

    return reduce


def _segments(sorted_keys: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], list[int]]:
    """Start of each run of equal keys in ``sorted_keys``, and the run's key."""
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return starts, sorted_keys[starts].tolist()


def column_counts(
    x: FloatArray,
    *,
    grid: tuple[int, int] | None = None,
    max_levels: int = 64,
    keys: npt.NDArray[np.intp] | None = None,
    n_keys: int = 1,
) -> GridCounts:
    """Counts per column and integer value of ``x``, in one blocked pass.

    Parameters
    ----------
    x : ndarray of float64, shape (rows, columns)
        NaN is missing and not counted.
    grid : (low, high), optional
        The values allowed; by default the grid spans the data.
    max_levels : int
        Most grid values allowed (at least 2), when ``grid`` is not given.
    keys : ndarray of intp, shape (rows,), optional
        Group ``0 .. n_keys - 1`` of each row, to count per group.

    Returns
    -------
    GridCounts
        ``counts`` has shape ``(columns, levels)``, or ``(n_keys, columns, levels)``
        with ``keys``; all-NaN input gives ``low = 0`` and one level (or ``grid``).

    Raises
    ------
    NotIntegerGrid
        A value is not an integer, is outside ``grid``, or the grid would need more
        than ``max_levels`` values.
    """
    rows, cols = x.shape
    step = _block_rows(cols)
    limit = max_levels if grid is None else grid[1] - grid[0] + 1
    order = None if keys is None else np.argsort(keys, kind="stable")
    sorted_keys = None if keys is None else keys[order]

    def task(starts: Iterator[int]) -> _Table:
        coder = _Coder(step, cols, grid, limit)
        table = _Table(n_keys, cols, grid, limit)
        gathered = np.empty((step, cols), dtype=np.float64) if order is not None else None
        offsets, offsets_stride = np.arange(cols, dtype=np.intp), 1

        def load(begin: int) -> tuple[int, FloatArray]:
            if order is None or gathered is None:
                return begin, x[begin : begin + step]
            rows_here = order[begin : begin + step]
            return begin, np.take(x, rows_here, axis=0, out=gathered[: rows_here.shape[0]])

        with np.errstate(invalid="ignore"):  # casting NaN to a code (see module notes)
            for begin, block, lo, hi in coder.spanned(map(load, starts)):
                here = None if sorted_keys is None else sorted_keys[begin : begin + step]
                levels = hi - lo + 1
                if levels <= _NARROW_LEVELS:
                    if here is None:
                        _, _, part = coder.narrow(block, lo, hi, _sum_rows)
                        table.add(lo, slice(0, 1), part[np.newaxis].transpose(0, 2, 1))
                    else:
                        runs, key_list = _segments(here)
                        _, _, part = coder.narrow(block, lo, hi, _sum_row_runs(runs))
                        table.add(lo, key_list, part.transpose(1, 2, 0))
                else:
                    codes = coder.wide(block, lo)
                    stride = levels + 1
                    if offsets_stride != stride:
                        offsets, offsets_stride = np.arange(cols, dtype=np.intp) * stride, stride
                    codes += offsets
                    first_key, size = 0, 1
                    if here is not None:
                        first_key, size = int(here[0]), int(here[-1]) - int(here[0]) + 1
                        codes += ((here - first_key) * (cols * stride))[:, np.newaxis]
                    bins = np.bincount(codes.ravel(), minlength=size * cols * stride)
                    part = bins.reshape(size, cols, stride)[:, :, 1:]
                    table.add(lo, slice(first_key, first_key + size), part)
        return table

    tables = _in_parallel(task, rows, cols, step)
    total = tables[0]
    for other in tables[1:]:
        if other.counts.shape[-1]:
            total.add(other.low, slice(None), other.counts)
    result = total.result()
    if keys is None:
        return GridCounts(result.low, result.counts[0])
    return result


class RowRanks(NamedTuple):
    """Ranks within each complete row, summed per column (see :func:`row_rank_sums`)."""

    rank_sums: FloatArray
    """Sum over the complete rows of each column's average (mid) rank in its row."""
    ties: float
    """``sum(t**3 - t)`` over the tie groups of all complete rows."""
    rows: int
    """Complete rows (no NaN), the only ones ranked."""


def row_rank_sums(x: FloatArray, *, max_levels: int = 64) -> RowRanks:
    """Rank each complete row of ``x`` (ties averaged) and sum the ranks per column.

    Rows with a NaN are skipped.  The average rank of value ``v`` in a row is the
    number of smaller values plus ``(count of v + 1) / 2``, so the ranks follow from
    per-row value counts; one blocked pass as :func:`column_counts`.  Ranks are
    relative within a row, so only each block's own span is limited.

    Raises
    ------
    NotIntegerGrid
        A value is not an integer, or a block of rows spans more than ``max_levels``
        values.
    """
    rows, cols = x.shape
    step = _block_rows(cols)
    chunks = np.arange(0, cols, _MAX_BLOCK_ROWS)

    def sum_columns(mask: ByteArray) -> IntArray:
        # uint8 sums over chunks of at most 255 columns cannot overflow, and stay in
        # uint8 (a wider accumulator would make numpy convert the whole mask first)
        partial = np.add.reduceat(mask, chunks, axis=2, dtype=np.uint8)
        result: IntArray = partial.sum(axis=2, dtype=np.int64)
        return result

    def task(starts: Iterator[int]) -> RowRanks:
        coder = _Coder(step, cols, None, max_levels)
        rank_sums = np.zeros(cols, dtype=np.float64)
        ties, complete_rows = 0.0, 0
        index = np.empty((step, cols), dtype=np.intp)
        gathered = np.empty((step, cols), dtype=np.float64)
        lookup = np.zeros((step, 256), dtype=np.float64)
        row_base = (np.arange(step, dtype=np.intp) * 256)[:, np.newaxis]
        with np.errstate(invalid="ignore"):  # casting NaN to a code (see module notes)
            blocks = ((begin, x[begin : begin + step]) for begin in starts)
            for _, block, lo, hi in coder.spanned(blocks):
                size = block.shape[0]
                levels = hi - lo + 1
                if levels <= _NARROW_LEVELS:
                    codes, first, part = coder.narrow(block, lo, hi, sum_columns)
                    counts = part.T.astype(np.int64, copy=False)
                    complete = counts.sum(axis=1) == cols
                    if not complete.any():
                        continue
                    table = counts[complete]
                    ranks = lookup[:size]
                    ranks[:, first : first + levels] = average_ranks(counts)
                    ranks[~complete] = 0.0
                    idx = index[:size]
                    np.copyto(idx, codes)
                    np.add(idx, row_base[:size], out=idx)
                    values = np.take(ranks.ravel(), idx, out=gathered[:size], mode="clip")
                    ranks[:, first : first + levels] = 0.0
                else:
                    wide = coder.wide(block, lo)
                    stride = levels + 1
                    np.add(wide, row_base[:size] // 256 * stride, out=wide)
                    bins = np.bincount(wide.ravel(), minlength=size * stride)
                    counts64 = bins.reshape(size, stride)
                    complete = counts64[:, 0] == 0
                    if not complete.any():
                        continue
                    table = counts64[complete, 1:]
                    ranks64 = average_ranks(counts64)
                    ranks64[~complete] = 0.0
                    values = np.take(ranks64.ravel(), wide, out=gathered[:size])
                rank_sums += np.add.reduce(values, axis=0)
                ties += float(tie_sum(table).sum())
                complete_rows += int(complete.sum())
        return RowRanks(rank_sums, ties, complete_rows)

    parts = _in_parallel(task, rows, cols, step)
    return RowRanks(
        np.sum([p.rank_sums for p in parts], axis=0),
        float(sum(p.ties for p in parts)),
        sum(p.rows for p in parts),
    )


# ------------------------------------------------------------ from counts to ranks


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

    ``values`` is one grid for every row, or one ascending grid per row (the shape
    of ``counts``).  The median of ``N`` sorted values is the mean of the values at
    0-based positions ``(N - 1) // 2`` and ``N // 2``.
    """
    n = counts.sum(axis=-1)
    if counts.shape[-1] == 0:
        return np.full(n.shape, np.nan)
    cum = np.cumsum(counts, axis=-1)
    grid = np.broadcast_to(values, counts.shape)

    def value_at(position: IntArray) -> FloatArray:
        index = np.minimum((cum <= position[..., np.newaxis]).sum(axis=-1), counts.shape[-1] - 1)
        return np.take_along_axis(grid, index[..., np.newaxis], axis=-1)[..., 0]

    median = (value_at((n - 1) // 2) + value_at(n // 2)) / 2.0
    return np.where(n > 0, median, np.nan)


def distinct_counts(
    x: FloatArray, keys: npt.NDArray[np.intp] | None = None, n_keys: int = 1
) -> tuple[FloatArray, IntArray]:
    """Sorted distinct non-NaN values of ``x`` and their counts: the general path.

    ``counts`` has shape ``(columns, values)``, or ``(columns, n_keys, values)`` with
    ``keys`` (the group ``0 .. n_keys - 1`` of each row); at least one value slot.
    """
    present = ~np.isnan(x)
    values, codes = np.unique(x[present], return_inverse=True)
    width = max(len(values), 1)
    rows, cols = np.nonzero(present)
    slots = cols if keys is None else cols * n_keys + keys[rows]
    counts = np.bincount(slots * width + codes.reshape(-1), minlength=x.shape[1] * n_keys * width)
    shape = (x.shape[1], width) if keys is None else (x.shape[1], n_keys, width)
    return values, counts.reshape(shape).astype(np.int64)
