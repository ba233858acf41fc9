"""The compact form of one answer set: one 16-bit value per statement and criterion.

A round's layout is fixed at launch: its statements in position order, each with the
study's criteria in position order, so cell ``i * criteria + c`` holds statement ``i``'s
answer on criterion ``c``. Values are little-endian signed 16-bit integers: the rating
itself, :data:`CANNOT_JUDGE`, or :data:`UNANSWERED`. Scales span at most 101 points (the
study schema says so), far inside that range.

Closing a round of 10,000 panelists x 500 statements x 2 criteria reads 10,000 such
values of 2 kB each straight into one numpy array, where the same answers as relational
rows take seconds to fetch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from app.answers.sheet import Cell

DTYPE = np.dtype("<i2")
UNANSWERED = -32768
CANNOT_JUDGE = -32767


@dataclass(frozen=True)
class Layout:
    """Where each (statement id, criterion id) of a round sits in its answer sets."""

    statement_ids: tuple[int, ...]
    criterion_ids: tuple[int, ...]
    _index: dict[Cell, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        width = len(self.criterion_ids)
        index = {
            (sid, cid): i * width + c
            for i, sid in enumerate(self.statement_ids)
            for c, cid in enumerate(self.criterion_ids)
        }
        object.__setattr__(self, "_index", index)

    @classmethod
    def of(cls, statement_ids: Iterable[int], criterion_ids: Iterable[int]) -> Layout:
        return cls(tuple(statement_ids), tuple(criterion_ids))

    @property
    def size(self) -> int:
        return len(self.statement_ids) * len(self.criterion_ids)

    def encode(self, ratings: Mapping[Cell, int | None]) -> bytes:
        """The answer set ``ratings`` (``None`` = cannot judge) in compact form.

        Cells not on the layout are ignored: the questionnaire's parser has already
        refused any that a browser could not have sent.
        """
        values = np.full(self.size, UNANSWERED, dtype=DTYPE)
        for cell, rating in ratings.items():
            position = self._index.get(cell)
            if position is not None:
                values[position] = CANNOT_JUDGE if rating is None else rating
        return values.tobytes()

    def decode(self, blob: bytes | None) -> dict[Cell, int | None]:
        """The answered cells of one compact answer set (``None`` = cannot judge)."""
        if not blob:
            return {}
        values = self._values(blob)
        cells = list(self._index)
        return {
            cells[i]: None if int(values[i]) == CANNOT_JUDGE else int(values[i])
            for i in np.flatnonzero(values != UNANSWERED)
        }

    def stack(self, blobs: Sequence[bytes]) -> npt.NDArray[np.int16]:
        """Many answer sets as one (respondents x statements x criteria) array."""
        width = (len(self.statement_ids), len(self.criterion_ids))
        if not blobs:
            return np.empty((0, *width), dtype=DTYPE)
        joined = np.frombuffer(b"".join(blobs), dtype=DTYPE)
        if joined.size != len(blobs) * self.size:
            raise ValueError("an answer set does not fit this round's layout")
        return joined.reshape(len(blobs), *width)

    def _values(self, blob: bytes) -> npt.NDArray[np.int16]:
        values = np.frombuffer(blob, dtype=DTYPE)
        if values.size != self.size:
            raise ValueError(
                f"an answer set of {values.size} cells does not fit this round's {self.size}"
            )
        return values


def ratings(stacked: npt.NDArray[np.int16]) -> npt.NDArray[np.float64]:
    """Float ratings from :meth:`Layout.stack`, NaN for unanswered and "cannot judge"."""
    out = stacked.astype(np.float64)
    out[stacked <= CANNOT_JUDGE] = np.nan
    return out


def cannot_judge_counts(stacked: npt.NDArray[np.int16]) -> npt.NDArray[np.int64]:
    """Per statement and criterion, how many answered "cannot judge"."""
    counted: npt.NDArray[np.int64] = np.count_nonzero(stacked == CANNOT_JUDGE, axis=0)
    return counted.astype(np.int64)
