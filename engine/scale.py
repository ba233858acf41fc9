"""The rating scale: an inclusive range of integer points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Scale"]


@dataclass(frozen=True, slots=True)
class Scale:
    """An inclusive integer rating scale such as ``Scale(1, 9)``.

    Parameters
    ----------
    low, high : int
        The lowest and highest rating; ``high - low >= 1`` (at least two points).

    Examples
    --------
    >>> Scale(1, 9).points
    9
    >>> Scale(1, 5).values.tolist()
    [1, 2, 3, 4, 5]
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"scale {name} must be an integer, got {value!r}")
        if self.high <= self.low:
            raise ValueError(
                f"scale high ({self.high}) must be greater than low ({self.low}): "
                "a scale needs at least two points"
            )

    @property
    def points(self) -> int:
        """Number of points on the scale."""
        return self.high - self.low + 1

    @property
    def values(self) -> npt.NDArray[np.int64]:
        """The scale points in ascending order."""
        return np.arange(self.low, self.high + 1, dtype=np.int64)
