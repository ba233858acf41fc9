"""RAND/UCLA appropriateness: interpercentile range, disagreement index and class.

Conventions shared with the rest of the per-statement statistics
(:mod:`engine.descriptive`): ``ratings`` is a ``(respondents, statements)`` array, a
1-D array is one statement; ``NaN`` marks a missing answer or "cannot judge" and is
left out of ``n`` and of every statistic; a statement with no ratings gets ``NaN``
results and no warning.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine._validate import as_matrix
from engine.frequencies import _check_scale, _tally
from engine.methods import QuantileMethod
from engine.quantiles import _check_method, _OrderStatistics, _quantile
from engine.scale import Scale

__all__ = ["RandUcla", "rand_ucla"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

RAND_CLASSES = ("appropriate", "uncertain", "inappropriate")


class RandUcla(NamedTuple):
    """RAND/UCLA appropriateness figures per statement (see :func:`rand_ucla`)."""

    median: FloatArray
    p30: FloatArray
    p70: FloatArray
    ipr: FloatArray
    iprcp: FloatArray
    ai: FloatArray
    ipras: FloatArray
    di: FloatArray
    disagreement: BoolArray
    classification: ObjectArray


def _rand_ucla_parts(
    median: FloatArray, p30: FloatArray, p70: FloatArray, scale: Scale
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray, ObjectArray]:
    # The 5, 2.35 and 1.5 of the manual are on a 1-9 scale; on other scales the
    # centre and the 2.35 move with the scale, which equals rescaling to 1-9.
    unit = (scale.high - scale.low) / 8.0
    centre = (scale.low + scale.high) / 2.0
    ipr = p70 - p30
    iprcp = (p30 + p70) / 2.0
    ai = np.abs(centre - iprcp)
    ipras = 2.35 * unit + 1.5 * ai
    di = ipr / ipras
    disagreement = ipr > ipras
    median_1_9 = 1.0 + (median - scale.low) / unit
    classification = np.full(median.shape, "uncertain", dtype=object)
    classification[(median_1_9 >= 7) & ~disagreement] = "appropriate"
    classification[(median_1_9 <= 3) & ~disagreement] = "inappropriate"
    classification[np.isnan(median)] = ""
    return ipr, iprcp, ai, ipras, di, disagreement, classification


def rand_ucla(
    ratings: npt.ArrayLike, method: QuantileMethod = "weibull", *, scale: Scale | None = None
) -> RandUcla:
    """RAND/UCLA appropriateness: disagreement index and class of each statement.

    Parameters
    ----------
    ratings : array_like, shape (respondents, statements) or (respondents,)
        Integer ratings on ``scale``; NaN marks a missing answer and is ignored.
    method : str, default "weibull"
        Quantile method for the median and the 30th and 70th percentiles (any
        :func:`numpy.quantile` method name).
    scale : Scale, optional
        The rating scale; defaults to ``Scale(1, 9)``, the method's own scale.

    Returns
    -------
    RandUcla
        Named tuple of arrays of shape ``(statements,)``: ``median``, ``p30``,
        ``p70``, ``ipr``, ``iprcp``, ``ai``, ``ipras``, ``di``, ``disagreement``
        (bool) and ``classification`` ("appropriate", "uncertain",
        "inappropriate", or "" for a statement without ratings).

    Notes
    -----
    ``IPR = P70 - P30`` (interpercentile range), ``IPRCP = (P30 + P70) / 2`` (its
    central point), asymmetry ``AI = |5 - IPRCP|``, ``IPRAS = 2.35 + 1.5 AI`` (the
    IPR adjusted for symmetry) and ``DI = IPR / IPRAS``. The panel disagrees when
    ``IPR > IPRAS`` (``DI > 1``). Class by median: 7-9 appropriate, 1-3
    inappropriate, anything in between (including medians of 3.5 and 6.5)
    uncertain; a statement with disagreement is uncertain whatever its median.

    The constants assume a 1-9 scale. On another scale the ratings are treated as
    rescaled linearly to 1-9: the centre 5 becomes the scale's midpoint, 2.35
    becomes ``2.35 (high - low) / 8``, and the median thresholds map back
    likewise. P30, P70, IPR, IPRCP, AI and IPRAS are reported in the scale's own
    units; DI is unitless.

    References
    ----------
    Fitch, K., Bernstein, S. J., Aguilar, M. D., et al. (2001). *The RAND/UCLA
    Appropriateness Method User's Manual*. RAND, MR-1269-DG-XII/RE, chapter 7.

    Examples
    --------
    The worked example of BMJ Open 2012;2:e001431 (15 panelists):

    >>> r = rand_ucla([4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9])
    >>> [round(float(v[0]), 2) for v in (r.p30, r.p70, r.ipr, r.ai, r.ipras)]
    [7.0, 8.0, 1.0, 2.5, 6.1]
    >>> bool(r.disagreement[0]), str(r.classification[0])
    (False, 'appropriate')
    """
    _check_method(method)
    scale = Scale(1, 9) if scale is None else scale
    _check_scale(scale)
    x = as_matrix(ratings, check_finite=False)
    table = _tally(x, scale)[0]
    order = _OrderStatistics.from_counts(table, scale.values.astype(np.float64))
    median = _quantile(order, 0.5, method)
    p30 = _quantile(order, 0.3, method)
    p70 = _quantile(order, 0.7, method)
    parts = _rand_ucla_parts(median, p30, p70, scale)
    return RandUcla(median, p30, p70, *parts)
