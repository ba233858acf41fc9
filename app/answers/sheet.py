"""One panelist's answers to one round, as the application handles them in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

Cell = tuple[int, int]  # (statement id, criterion id)


@dataclass
class AnswerSheet:
    """One panelist's answers to one round: ``None`` as a rating means "cannot judge".

    ``persuasive`` holds the ids of last round's reasons they marked persuasive;
    ``proposals`` the statements they propose, by topic id (kept with the draft only:
    once submitted, a proposal is stored apart, with no link to its writer).
    """

    ratings: dict[Cell, int | None] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    persuasive: set[int] = field(default_factory=set)
    proposals: dict[int, str] = field(default_factory=dict)

    def value(self, statement_id: int, criterion_id: int) -> str | None:
        """The form value of a cell (``"7"``, ``"cj"``) or ``None`` when unanswered."""
        cell = (statement_id, criterion_id)
        if cell not in self.ratings:
            return None
        rating = self.ratings[cell]
        return CANNOT_JUDGE_VALUE if rating is None else str(rating)

    def overlay(self, newer: AnswerSheet) -> AnswerSheet:
        """This sheet with every answer ``newer`` gives taking precedence."""
        return AnswerSheet(
            ratings={**self.ratings, **newer.ratings},
            reasons={**self.reasons, **{k: v for k, v in newer.reasons.items() if v}},
            persuasive=self.persuasive | newer.persuasive,
            proposals={**self.proposals, **{k: v for k, v in newer.proposals.items() if v}},
        )

    @property
    def empty(self) -> bool:
        return not (self.ratings or self.reasons or self.persuasive or self.proposals)


# The form value of "cannot judge".
CANNOT_JUDGE_VALUE = "cj"
