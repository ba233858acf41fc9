"""The names of the quantile methods, apart from numpy.

So that code which only validates a study's settings (the web app's schemas, a CLI
command) can check a method name without importing numpy.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["QUANTILE_METHODS", "QuantileMethod"]

QuantileMethod = Literal[
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
]
#: Every quantile method name :func:`numpy.quantile` accepts, in numpy's order.
QUANTILE_METHODS: tuple[str, ...] = get_args(QuantileMethod)
