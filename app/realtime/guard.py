"""The facilitator's guard against the initial-condition effect, per statement.

In a real-time Delphi later panelists may drift toward the first answers. Every first
answer here is blind (feedback shows only after one's own answer), so the figure
compares, per statement and criterion, the median of the blind first answers with the
median of the answers given (or kept) with the panel's feedback in view; and counts the
confirmations: panelists who saw the feedback and said they keep their answer. A figure
about fewer than k panelists is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

import engine
from app.answers import live as live_answers
from app.answers import service as answers_store
from app.answers.cells import ratings
from app.models import Criterion, Round, Survey


@dataclass(frozen=True)
class GuardRow:
    statement_key: str
    criterion_key: str
    blind: int  # blind first ratings
    blind_median: float | None
    informed: int  # current ratings given or kept with feedback in view
    informed_median: float | None
    confirmed: int  # panelists who kept their answer after seeing the feedback

    @property
    def shift(self) -> float | None:
        """How far the informed answers' median lies from the blind answers' median."""
        if self.blind_median is None or self.informed_median is None:
            return None
        return self.informed_median - self.blind_median


def rows(session: Session, survey: Survey, live: Round) -> list[GuardRow]:
    """One row per statement and criterion of the live round."""
    layout = answers_store.layout_of(live, survey.answer_criteria)
    data = live_answers.read(session, live.id, layout)
    k = survey.min_group_size
    keys = {item.statement_id: item.statement.key for item in live.items}
    method = survey.method.get("quantile_method", "weibull")
    out = []
    if not len(data.respondent_ids):
        return [
            GuardRow(keys[sid], c.key, 0, None, 0, None, 0)
            for c in survey.criteria
            for sid in layout.statement_ids
        ]
    rated = data.flags[:, :, : len(survey.criteria)]  # the ranking criteria come after
    confirmed = (rated & live_answers.CONFIRMED).astype(bool).all(axis=2).sum(axis=0)
    for c, criterion in enumerate(survey.criteria):
        blind = ratings(data.first[:, :, c])
        in_view = (data.flags[:, :, c] & live_answers.INFORMED).astype(bool)
        informed = np.where(in_view, ratings(data.cells[:, :, c]), np.nan)
        blind_median = _medians(blind, criterion, method, k)
        informed_median = _medians(informed, criterion, method, k)
        blind_n = np.count_nonzero(~np.isnan(blind), axis=0)
        informed_n = np.count_nonzero(~np.isnan(informed), axis=0)
        for j, sid in enumerate(layout.statement_ids):
            out.append(
                GuardRow(
                    statement_key=keys[sid],
                    criterion_key=criterion.key,
                    blind=int(blind_n[j]),
                    blind_median=blind_median[j],
                    informed=int(informed_n[j]),
                    informed_median=informed_median[j],
                    confirmed=int(confirmed[j]),
                )
            )
    return out


def _medians(matrix: np.ndarray, criterion: Criterion, method: str, k: int) -> list[float | None]:
    """Per statement, the median of ``matrix``'s ratings, or ``None`` below k raters."""
    summary = engine.summarize(
        matrix,
        engine.Scale(criterion.scale_low, criterion.scale_high),
        quantile_method=method,  # type: ignore[arg-type]
        agree=(criterion.agree_low, criterion.agree_high),
        disagree=(criterion.disagree_low, criterion.disagree_high),
    )
    return [
        float(m) if n >= k and not np.isnan(m) else None
        for m, n in zip(summary.median, summary.n, strict=True)
    ]
