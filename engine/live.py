"""Live figures for a real-time (roundless) study: counts that follow each answer.

In a real-time Delphi panelists answer and revise whenever they like, and each sees
the panel's feedback on a statement right after answering it. Recomputing the whole
ratings matrix for every page view does not scale to a thousand panelists answering
at once; :class:`LiveTally` keeps the one table every statistic of
:func:`engine.summarize` depends on (counts per statement and scale point, plus the
"cannot judge" answers) and updates it in O(1) per answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from engine._validate import as_matrix
from engine.descriptive import Summary, _band, _cannot_judge, _summarize_table
from engine.frequencies import _check_scale, _tally
from engine.methods import QuantileMethod
from engine.quantiles import _check_method
from engine.scale import Scale

__all__ = ["LiveTally"]

IntArray = npt.NDArray[np.int64]


class LiveTally:
    """Counts of one criterion's current answers per statement, updated answer by answer.

    Parameters
    ----------
    scale : Scale
        The criterion's rating scale.
    statements : int
        Number of statements (columns); statement ``s`` is index ``0 .. statements-1``.

    Notes
    -----
    An *answer* is a rating (a whole number on ``scale``) or ``None`` for "cannot
    judge". A panelist's first answer to a statement is :meth:`add`-ed, a revision is a
    :meth:`change` from the old answer to the new one, a withdrawn answer is
    :meth:`remove`-d; the statement and answer arguments may also be equal-length
    arrays (NaN for "cannot judge") to apply many answers at once. Every call is
    checked whole before anything changes: an off-scale rating, an unknown statement
    or the removal of an answer that is not counted raises ``ValueError`` and leaves
    the tally as it was.

    :meth:`summary` is :func:`engine.summarize_counts` on the current table, so it is
    identical to :func:`engine.summarize` on the matrix of current answers (ratings,
    NaN for "cannot judge" and for no answer) with ``cannot_judge`` counted per
    statement. It costs O(statements x scale points), whatever the number of
    panelists. The object is not thread-safe: serialise calls (one lock per study) if
    several threads share it.

    References
    ----------
    Gordon, T. & Pease, A. (2006). RT Delphi: an efficient, "round-less" almost real
    time Delphi method. *Technological Forecasting and Social Change* 73(4), 321-333.

    Examples
    --------
    >>> tally = LiveTally(Scale(1, 9), 2)
    >>> tally.add(0, 7); tally.add(0, 9); tally.add(1, None)
    >>> tally.change(0, 9, 8)
    >>> tally.summary().median.tolist(), tally.summary().cannot_judge.tolist()
    ([7.5, nan], [0, 1])
    """

    def __init__(self, scale: Scale, statements: int) -> None:
        _check_scale(scale)
        if isinstance(statements, bool) or not isinstance(statements, int | np.integer):
            raise ValueError(f"statements must be a whole number >= 1, got {statements!r}")
        if statements < 1:
            raise ValueError(f"statements must be a whole number >= 1, got {statements!r}")
        self.scale = scale
        self._counts = np.zeros((int(statements), scale.points), dtype=np.int64)
        self._cannot = np.zeros(int(statements), dtype=np.int64)

    @classmethod
    def from_ratings(
        cls, ratings: npt.ArrayLike, scale: Scale, *, cannot_judge: npt.ArrayLike | None = None
    ) -> LiveTally:
        """A tally of an existing matrix (e.g. the answers stored when a server starts).

        Parameters
        ----------
        ratings : array_like, shape (respondents, statements)
            Current ratings; NaN for "cannot judge" or no answer.
        scale : Scale
            The rating scale.
        cannot_judge : array_like of int, shape (statements,), optional
            "Cannot judge" answers per statement.

        Examples
        --------
        >>> LiveTally.from_ratings([[7, 2], [9, 3]], Scale(1, 9)).counts.tolist()[0][6:]
        [1, 0, 1]
        """
        _check_scale(scale)
        x = as_matrix(ratings, check_finite=False)
        tally = cls(scale, x.shape[1])
        tally._counts = _tally(x, scale)[0]
        tally._cannot = _cannot_judge(cannot_judge, x.shape[1])
        return tally

    @property
    def statements(self) -> int:
        """Number of statements."""
        return int(self._counts.shape[0])

    @property
    def counts(self) -> IntArray:
        """Ratings per statement and scale point, shape (statements, points); a copy."""
        return self._counts.copy()

    @property
    def cannot_judge(self) -> IntArray:
        """ "Cannot judge" answers per statement, shape (statements,); a copy."""
        return self._cannot.copy()

    def add(self, statement: Any, answer: Any) -> None:
        """Count a new answer (a rating, or ``None`` / NaN for "cannot judge")."""
        self._apply([(statement, answer, 1)])

    def remove(self, statement: Any, answer: Any) -> None:
        """Stop counting an answer that was counted (a withdrawn answer)."""
        self._apply([(statement, answer, -1)])

    def change(self, statement: Any, old: Any, new: Any) -> None:
        """Replace a counted answer by a revision, as one step."""
        self._apply([(statement, old, -1), (statement, new, 1)])

    def summary(
        self,
        *,
        quantile_method: QuantileMethod = "weibull",
        agree: tuple[int, int] = (7, 9),
        disagree: tuple[int, int] = (1, 3),
        cannot_judge_counts: bool = False,
    ) -> Summary:
        """Every statistic of :func:`engine.summarize` on the current answers.

        Parameters are those of :func:`engine.summarize`; "cannot judge" answers are
        the tally's own.
        """
        _check_method(quantile_method, "quantile_method")
        return _summarize_table(
            self._counts.copy(),
            self.scale,
            quantile_method=quantile_method,
            agree_band=_band(agree, self.scale, "agree"),
            disagree_band=_band(disagree, self.scale, "disagree"),
            cannot_judge=self._cannot.copy(),
            cannot_judge_counts=bool(cannot_judge_counts),
        )

    def _apply(self, steps: list[tuple[Any, Any, int]]) -> None:
        counts = np.zeros_like(self._counts)
        cannot = np.zeros_like(self._cannot)
        for statement, answer, sign in steps:
            where, rated, points = self._cells(statement, answer)
            np.add.at(counts, (where[rated], points), sign)
            np.add.at(cannot, where[~rated], sign)
        counts += self._counts
        cannot += self._cannot
        if (counts < 0).any() or (cannot < 0).any():
            raise ValueError("cannot remove an answer that is not counted")
        self._counts, self._cannot = counts, cannot

    def _cells(
        self, statement: Any, answer: Any
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
        """Statement indices, which answers are ratings, and their scale-point columns."""
        try:
            where = np.atleast_1d(np.asarray(statement, dtype=np.float64))
            value = np.atleast_1d(
                np.asarray(np.nan if answer is None else answer, dtype=np.float64)
            )
        except (TypeError, ValueError):
            raise ValueError(
                f"statement must be an index and answer a rating or None, got "
                f"{statement!r} and {answer!r}"
            ) from None
        if where.ndim != 1 or where.shape != value.shape:
            raise ValueError(
                f"statement and answer must have the same length, got shapes "
                f"{where.shape} and {value.shape}"
            )
        if (
            (where != np.round(where)).any()
            or (where < 0).any()
            or (where >= self.statements).any()
        ):
            raise ValueError(
                f"statement must be a whole number in 0..{self.statements - 1}, got {statement!r}"
            )
        rated = ~np.isnan(value)
        present = value[rated]
        off = (
            (present < self.scale.low)
            | (present > self.scale.high)
            | (present != np.round(present))
        )
        if off.any():
            raise ValueError(
                f"answer must be a rating on the scale {self.scale.low}-{self.scale.high} or "
                f"None for cannot judge, got {present[off][0]:g}"
            )
        return where.astype(np.intp), rated, (present - self.scale.low).astype(np.intp)
