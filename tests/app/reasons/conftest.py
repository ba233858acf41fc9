"""A closed round whose reasons the tests read: 16 panelists in four stakeholder groups."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from app.rounds import service as rounds
from tests.app.factories import make_panel, submit_with_reasons

# Panelist n rates importance IMPORTANCE[n] on every statement (Q1 5, Q3 7.75), feasibility
# 1 + n % 5, and gives REASONS[n] on the first statement only (the first ten and n = 12).
IMPORTANCE = [2, 3, 4, 5, 6, 6, 7, 8, 9, 9, 5, 6, 7, 6, 5, 7]
GROUPS = ("ngo",) * 6 + ("member-state",) * 6 + ("academia",) * 2 + ("institute",) * 2
REASONS = [
    "Few states could afford the equipment this needs.",
    "Funding is the real obstacle in most regions.",
    "It duplicates work regional bodies already do.",
    "Useful, but only with strong data protection.",
    "A reasonable step if courts accept the evidence.",
    "Un paso razonable si los tribunales aceptan la prueba.",
    "Practitioners ask for this in every regional meeting.",
    "It closes the most common gap in mutual legal assistance.",
    "Cheap compared to the harm it prevents.",
    "Cheap compared with the harm it prevents!",
]
ACADEMIC = 12  # their group has 2 raters: never named
ACADEMIC_REASON = "Evaluations of such units are still thin."


@dataclass
class ClosedRound:
    round: Round
    panel: list[Panelist]

    @property
    def first(self) -> int:
        return self.round.items[0].statement_id


@pytest.fixture
def closed(db: Session, survey: Survey) -> ClosedRound:
    # NGOs and member states (6 each) are shown at k = 5; academia and institutes are not.
    panel = make_panel(db, survey, len(GROUPS), groups=GROUPS)
    panel.sort(key=lambda p: p.id)
    round_ = rounds.launch(db, survey, actor="test")
    for n, panelist in enumerate(panel):
        submit_with_reasons(
            db,
            survey,
            round_,
            panelist,
            lambda j, c, n=n: IMPORTANCE[n] if c == 0 else 1 + n % 5,
            lambda j, n=n: _reason(n) if j == 0 else None,
            language="es" if n == 5 else "en",
        )
    rounds.close(db, survey, round_, actor="test")
    return ClosedRound(round_, panel)


def _reason(n: int) -> str | None:
    if n < len(REASONS):
        return REASONS[n]
    return ACADEMIC_REASON if n == ACADEMIC else None
