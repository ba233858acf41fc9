"""Every per-statement statistic of a round in one :class:`Summary`, from rating counts.

Ratings on a Delphi scale are small integers, so every statistic here (quantiles
included) is derived from one table of counts per statement and scale point rather
than from sorting the raw ratings. :func:`summarize` builds that table in one blocked
pass over the ratings (``engine._counting``) and computes all the measures from it;
the measures themselves live by job in :mod:`engine.quantiles`,
:mod:`engine.frequencies`, :mod:`engine.agreement` and :mod:`engine.appropriateness`.

Conventions shared by every function:

* ``ratings`` is a ``(respondents, statements)`` array; a 1-D array is one statement.
  ``NaN`` marks a missing answer or "cannot judge"; it is left out of ``n`` and of
  every statistic.
* A statement with no ratings (``n == 0``) gets ``NaN`` results and no warning.
* Quantiles follow :func:`numpy.quantile`'s ``method`` names exactly (the nine
  Hyndman-Fan definitions plus ``lower``, ``higher``, ``midpoint`` and ``nearest``);
  ``weibull`` (Hyndman-Fan type 6, what SPSS reports) is the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from engine._counting import median_from_counts
from engine._validate import as_matrix
from engine.agreement import _bimodality, _leik, _tastle_wierman, _van_der_eijk
from engine.appropriateness import _rand_ucla_parts
from engine.frequencies import _as_counts, _check_scale, _tally
from engine.methods import QuantileMethod
from engine.quantiles import _check_method, _OrderStatistics, _quantile
from engine.scale import Scale

__all__ = ["Summary", "summarize", "summarize_counts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class Summary:
    """Per-statement statistics of one round on one criterion.

    Every per-statement field is a read-only 1-D array of length
    ``n_statements`` (float64, except ``n`` int64 and ``rand_ucla_class``
    object); ``counts`` is ``(n_statements, scale.points)`` int64. Build it with
    :func:`summarize`; see that function for the definitions.
    """

    n: IntArray
    counts: IntArray
    mean: FloatArray
    sd: FloatArray
    cv: FloatArray
    median: FloatArray
    q1: FloatArray
    q3: FloatArray
    iqr: FloatArray
    mad: FloatArray
    agree: FloatArray
    disagree: FloatArray
    tastle_wierman: FloatArray
    van_der_eijk: FloatArray
    leik: FloatArray
    bimodality: FloatArray
    p30: FloatArray
    p70: FloatArray
    ipr: FloatArray
    iprcp: FloatArray
    ai: FloatArray
    ipras: FloatArray
    di: FloatArray
    rand_ucla_class: ObjectArray
    scale: Scale = field(kw_only=True)
    quantile_method: str = field(kw_only=True)
    agree_band: tuple[int, int] = field(kw_only=True)
    disagree_band: tuple[int, int] = field(kw_only=True)
    cannot_judge: IntArray = field(kw_only=True)
    cannot_judge_counts: bool = field(kw_only=True)

    _METADATA: ClassVar[frozenset[str]] = frozenset(
        {
            "counts",
            "scale",
            "quantile_method",
            "agree_band",
            "disagree_band",
            "cannot_judge",
            "cannot_judge_counts",
        }
    )

    def __post_init__(self) -> None:
        for name in (*self.metric_names(), "counts", "cannot_judge"):
            getattr(self, name).setflags(write=False)

    @classmethod
    def metric_names(cls) -> tuple[str, ...]:
        """Names of the scalar per-statement fields, in order (``counts`` excluded).

        Examples
        --------
        >>> Summary.metric_names()[:5]
        ('n', 'mean', 'sd', 'cv', 'median')
        """
        return tuple(f.name for f in fields(cls) if f.name not in cls._METADATA)

    @property
    def n_statements(self) -> int:
        """Number of statements (columns) summarised."""
        return int(self.n.shape[0])

    def records(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per statement.

        Returns
        -------
        list of dict
            Keys: ``n``, ``cannot_judge``, ``counts`` (list of int, one per scale
            point) and every other name of :meth:`metric_names`. Floats are Python
            floats, NaN becomes ``None``.
        """
        columns: dict[str, list[Any]] = {}
        for name in self.metric_names():
            values = getattr(self, name)
            if values.dtype.kind == "f":
                columns[name] = [None if v != v else v for v in values.tolist()]
            else:
                columns[name] = values.tolist()
        columns["cannot_judge"] = self.cannot_judge.tolist()
        columns["counts"] = self.counts.tolist()
        order = ["n", "cannot_judge", "counts", *self.metric_names()[1:]]
        return [{key: columns[key][i] for key in order} for i in range(self.n_statements)]

    def method(self) -> dict[str, Any]:
        """The method settings behind these figures, as JSON-safe data.

        Examples
        --------
        >>> summarize([7, 8, 9], Scale(1, 9)).method()["quantile_method"]
        'weibull'
        """
        return {
            "scale_low": int(self.scale.low),
            "scale_high": int(self.scale.high),
            "quantile_method": self.quantile_method,
            "agree": list(self.agree_band),
            "disagree": list(self.disagree_band),
            "cannot_judge_counts": bool(self.cannot_judge_counts),
        }


def _band(band: Any, scale: Scale, name: str) -> tuple[int, int]:
    try:
        low, high = band
        values = (float(low), float(high))
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of scale points, got {band!r}"
        ) from None
    if any(v != round(v) for v in values):
        raise ValueError(f"{name} must be whole scale points, got {band!r}")
    a, b = int(values[0]), int(values[1])
    if not scale.low <= a <= b <= scale.high:
        raise ValueError(
            f"{name} band {band!r} must satisfy {scale.low} <= low <= high <= {scale.high} "
            f"(the scale)"
        )
    return a, b


def _cannot_judge(value: Any, columns: int) -> IntArray:
    if value is None:
        return np.zeros(columns, dtype=np.int64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"cannot_judge must be counts per statement, got {value!r}") from None
    if array.ndim == 0 and columns == 1:
        array = array.reshape(1)
    if array.shape != (columns,):
        raise ValueError(
            f"cannot_judge must have one count per statement ({columns}), got shape {array.shape}"
        )
    if not np.isfinite(array).all() or (array < 0).any() or (array != np.round(array)).any():
        raise ValueError("cannot_judge must hold non-negative whole numbers")
    return array.astype(np.int64)


def summarize(
    ratings: npt.ArrayLike,
    scale: Scale,
    *,
    quantile_method: QuantileMethod = "weibull",
    agree: tuple[int, int] = (7, 9),
    disagree: tuple[int, int] = (1, 3),
    cannot_judge: npt.ArrayLike | None = None,
    cannot_judge_counts: bool = False,
) -> Summary:
    """Every per-statement statistic of a round, from one count of the ratings.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing or "cannot judge" answer.
    scale : Scale
        The rating scale, e.g. ``Scale(1, 9)``.
    quantile_method : str, default "weibull"
        :func:`numpy.quantile` method for the median, quartiles and the RAND/UCLA
        percentiles. ``"weibull"`` is SPSS's definition, ``"linear"`` R's default.
    agree, disagree : (int, int), default (7, 9) and (1, 3)
        Inclusive bands of scale points whose shares are reported as ``agree`` and
        ``disagree``. They must lie on the scale.
    cannot_judge : array_like of int, shape (statements,), optional
        Number of "cannot judge" answers per statement (they are NaN in
        ``ratings``).
    cannot_judge_counts : bool, default False
        If true, "cannot judge" answers join the denominator of ``agree`` and
        ``disagree`` (as the ENLIGHT study did); otherwise only ratings count.

    Returns
    -------
    Summary
        Per statement: ``n`` (number of ratings), ``counts`` per scale point,
        ``mean``, ``sd``, ``cv``, ``median``, ``q1``, ``q3``, ``iqr``, ``mad``,
        ``agree``, ``disagree``, ``tastle_wierman``, ``van_der_eijk``, ``leik``,
        ``bimodality``, the RAND/UCLA ``p30``, ``p70``, ``ipr``, ``iprcp``,
        ``ai``, ``ipras``, ``di`` and ``rand_ucla_class``, plus the method
        settings.

    Notes
    -----
    All figures follow from the counts ``c_j`` at scale points ``x_j``:
    ``n = sum c_j``; ``mean = sum c_j x_j / n``; ``sd = sqrt(sum c_j (x_j -
    mean)^2 / (n - 1))`` (NaN when ``n < 2``); ``cv = sd / mean`` (NaN when the
    mean is 0); quartiles as :func:`~engine.quartiles`; ``iqr = q3 - q1``; ``mad`` is the
    unscaled median absolute deviation ``median(|x - median(x)|)`` with ordinary
    (midpoint) medians, whatever ``quantile_method`` is (as
    ``scipy.stats.median_abs_deviation``); ``agree`` is the share of ratings in
    the band, ``sum_{j in band} c_j / n`` (``/ (n + cannot_judge)`` with
    ``cannot_judge_counts``); the ordinal measures as :func:`~engine.tastle_wierman`,
    :func:`~engine.van_der_eijk` and :func:`~engine.leik` (a dispersion); ``bimodality`` as
    :func:`~engine.bimodality_coefficient`; the RAND/UCLA figures as :func:`~engine.rand_ucla`
    with ``quantile_method``. A statement with ``n == 0`` has NaN everywhere and
    class "". No warnings are raised for empty statements.

    References
    ----------
    See the individual functions. On the choice of quantile definition:
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    *The American Statistician* 50(4), 361-365.

    Examples
    --------
    >>> import numpy as np
    >>> s = summarize(np.array([[7, 1], [8, 2], [9, np.nan], [7, 9]]), Scale(1, 9))
    >>> s.n.tolist(), s.median.tolist(), s.agree.tolist()
    ([4, 3], [7.5, 2.0], [1.0, 0.3333333333333333])
    >>> s.records()[1]["counts"]
    [1, 1, 0, 0, 0, 0, 0, 0, 1]
    """
    _check_scale(scale)
    _check_method(quantile_method, "quantile_method")
    x = as_matrix(ratings, check_finite=False)
    agree_band = _band(agree, scale, "agree")
    disagree_band = _band(disagree, scale, "disagree")
    cj = _cannot_judge(cannot_judge, x.shape[1])
    table = _tally(x, scale)[0]
    return _summarize_table(
        table,
        scale,
        quantile_method=quantile_method,
        agree_band=agree_band,
        disagree_band=disagree_band,
        cannot_judge=cj,
        cannot_judge_counts=bool(cannot_judge_counts),
    )


def summarize_counts(
    counts: npt.ArrayLike,
    scale: Scale,
    *,
    quantile_method: QuantileMethod = "weibull",
    agree: tuple[int, int] = (7, 9),
    disagree: tuple[int, int] = (1, 3),
    cannot_judge: npt.ArrayLike | None = None,
    cannot_judge_counts: bool = False,
) -> Summary:
    """:func:`summarize` for ratings already counted per statement and scale point.

    Parameters
    ----------
    counts : array_like, shape (statements, scale.points) or (scale.points,)
        ``counts[s, j]``: number of ratings ``scale.low + j`` for statement ``s``.
    scale, quantile_method, agree, disagree, cannot_judge, cannot_judge_counts
        As for :func:`summarize`.

    Returns
    -------
    Summary
        Identical to ``summarize`` on any ratings with these counts.

    Notes
    -----
    Every statistic of :func:`summarize` depends on the ratings only through
    their counts, so a frequency table is enough.

    References
    ----------
    See :func:`summarize`.

    Examples
    --------
    >>> summarize_counts([0, 0, 0, 0, 0, 0, 2, 1, 1], Scale(1, 9)).median.tolist()
    [7.5]
    """
    _check_scale(scale)
    _check_method(quantile_method, "quantile_method")
    table = _as_counts(counts)
    if table.shape[1] != scale.points:
        raise ValueError(
            f"counts must have one column per scale point ({scale.points}), got {table.shape[1]}"
        )
    return _summarize_table(
        table,
        scale,
        quantile_method=quantile_method,
        agree_band=_band(agree, scale, "agree"),
        disagree_band=_band(disagree, scale, "disagree"),
        cannot_judge=_cannot_judge(cannot_judge, table.shape[0]),
        cannot_judge_counts=bool(cannot_judge_counts),
    )


def _median_abs_deviation(table: IntArray, points: FloatArray) -> FloatArray:
    # np.median of |x - np.median(x)|: the deviations of each row's points, sorted,
    # carry that row's counts
    deviation = np.abs(points - median_from_counts(table, points)[:, np.newaxis])
    order = np.argsort(np.where(np.isnan(deviation), 0.0, deviation), axis=1, kind="stable")
    return median_from_counts(
        np.take_along_axis(table, order, axis=1), np.take_along_axis(deviation, order, axis=1)
    )


def _summarize_table(
    table: IntArray,
    scale: Scale,
    *,
    quantile_method: str,
    agree_band: tuple[int, int],
    disagree_band: tuple[int, int],
    cannot_judge: IntArray,
    cannot_judge_counts: bool,
) -> Summary:
    points = scale.values.astype(np.float64)
    order = _OrderStatistics.from_counts(table, points)
    n = order.n
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (table @ points) / nf
        deviation = points - mean[:, np.newaxis]
        squares = deviation**2
        ss = (table * squares).sum(axis=1)
        m2 = ss / nf
        m3 = (table * squares * deviation).sum(axis=1) / nf
        m4 = (table * squares**2).sum(axis=1) / nf
        sd = np.where(n >= 2, np.sqrt(ss / (nf - 1.0)), np.nan)
        cv = np.where(mean != 0, sd / mean, np.nan)
        denominator = nf + cannot_judge if cannot_judge_counts else nf
        in_agree = (points >= agree_band[0]) & (points <= agree_band[1])
        in_disagree = (points >= disagree_band[0]) & (points <= disagree_band[1])
        agree = np.where(denominator > 0, table[:, in_agree].sum(axis=1) / denominator, np.nan)
        disagree = np.where(
            denominator > 0, table[:, in_disagree].sum(axis=1) / denominator, np.nan
        )
    median = _quantile(order, 0.5, quantile_method)
    q1 = _quantile(order, 0.25, quantile_method)
    q3 = _quantile(order, 0.75, quantile_method)
    p30 = _quantile(order, 0.3, quantile_method)
    p70 = _quantile(order, 0.7, quantile_method)
    ipr, iprcp, ai, ipras, di, _, classification = _rand_ucla_parts(median, p30, p70, scale)
    return Summary(
        n=n,
        counts=table,
        mean=mean,
        sd=sd,
        cv=cv,
        median=median,
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        mad=_median_abs_deviation(table, points),
        agree=agree,
        disagree=disagree,
        tastle_wierman=_tastle_wierman(table),
        van_der_eijk=_van_der_eijk(table),
        leik=_leik(table),
        bimodality=_bimodality(n, m2, m3, m4),
        p30=p30,
        p70=p70,
        ipr=ipr,
        iprcp=iprcp,
        ai=ai,
        ipras=ipras,
        di=di,
        rand_ucla_class=classification,
        scale=scale,
        quantile_method=quantile_method,
        agree_band=agree_band,
        disagree_band=disagree_band,
        cannot_judge=cannot_judge,
        cannot_judge_counts=cannot_judge_counts,
    )
