"""The engine's summary of one criterion under the study's method settings.

Shared by the round snapshot and the analyses stored with it, so both read the ratings
with the same quantile method, bands and handling of "cannot judge".
"""

from __future__ import annotations

from typing import Any

import numpy as np

import engine
from app.models import Criterion, Survey


def options(survey: Survey, criterion: Criterion) -> dict[str, Any]:
    """The keyword settings ``engine.summarize`` takes for ``criterion`` of ``survey``."""
    return {
        "quantile_method": survey.method.get("quantile_method", "weibull"),
        "agree": (criterion.agree_low, criterion.agree_high),
        "disagree": (criterion.disagree_low, criterion.disagree_high),
        "cannot_judge_counts": bool(survey.method.get("cannot_judge_counts", False)),
    }


def scale(criterion: Criterion) -> engine.Scale:
    return engine.Scale(criterion.scale_low, criterion.scale_high)


def summarize(survey: Survey, criterion: Criterion, matrix: np.ndarray, cj: np.ndarray) -> Any:
    """The engine summary of one criterion with the study's method settings."""
    if matrix.shape[0] == 0:
        # Nobody submitted: one all-missing row gives n = 0 and NaN figures per statement.
        matrix = np.full((1, matrix.shape[1]), np.nan)
    return engine.summarize(matrix, scale(criterion), cannot_judge=cj, **options(survey, criterion))
