"""Input checks shared by the engine's public functions.

Every check raises ``ValueError`` naming the offending parameter, so an analyst
in a notebook sees what to fix rather than a numpy broadcasting error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.scale import Scale

FloatMatrix = npt.NDArray[np.float64]


def as_matrix(values: Any, name: str = "ratings", *, check_finite: bool = True) -> FloatMatrix:
    """Return ``values`` as a 2-D float64 array (a 1-D input becomes one column).

    Rows are respondents, columns are statements; NaN marks a missing answer.
    ``check_finite=False`` skips the pass looking for infinities, for callers whose
    own range check rejects them anyway (and that call :func:`check_no_infinity`
    before any other path).
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (NaN for missing): {exc}") from None
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D or 2-D (respondents x statements), got {array.ndim}-D"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty: shape {array.shape}")
    if check_finite:
        check_no_infinity(array, name)
    return array


def check_no_infinity(array: FloatMatrix, name: str = "ratings") -> None:
    """Raise unless ``array`` is free of infinities (NaN is allowed: it means missing)."""
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite values; use NaN for missing answers")


def check_on_scale(ratings: FloatMatrix, scale: Scale, name: str = "ratings") -> None:
    """Raise unless every non-NaN rating is an integer point of ``scale``."""
    present = ratings[~np.isnan(ratings)]
    if present.size == 0:
        return
    off = (present < scale.low) | (present > scale.high) | (present != np.round(present))
    if off.any():
        bad = present[off][0]
        raise ValueError(
            f"{name} has values off the scale {scale.low}-{scale.high}: e.g. {bad:g} "
            f"({int(off.sum())} value(s) in all)"
        )


def check_choice(value: str, allowed: Iterable[str], name: str) -> None:
    """Raise unless ``value`` is one of ``allowed``."""
    options = tuple(allowed)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
