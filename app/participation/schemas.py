"""The questionnaire form at the boundary: field names, values, and what is acceptable.

Field names are ``r-<statement_id>-<criterion_id>`` (a scale point, or ``cj`` for
"cannot judge") and ``reason-<statement_id>``. Anything a browser could not have sent
from our form (a point off the scale, a statement not on this round) rejects the whole
post, so nothing half-valid is ever stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.answers.sheet import CANNOT_JUDGE_VALUE, AnswerSheet
from app.errors import Invalid
from app.rounds.plan import CriterionInfo

CANNOT_JUDGE = CANNOT_JUDGE_VALUE
REASON_MAX_LENGTH = 4000
ACTIONS = ("save", "submit")

Action = Literal["save", "submit"]

_RATING_FIELD = re.compile(r"r-(\d{1,18})-(\d{1,18})")
_REASON_FIELD = re.compile(r"reason-(\d{1,18})")


def rating_field(statement_id: int, criterion_id: int) -> str:
    return f"r-{statement_id}-{criterion_id}"


def reason_field(statement_id: int) -> str:
    return f"reason-{statement_id}"


@dataclass(frozen=True)
class Posted:
    action: Action
    answers: AnswerSheet


def parse_form(
    items: Iterable[tuple[str, object]],
    statement_ids: Iterable[int],
    criteria: Iterable[CriterionInfo],
) -> Posted:
    """Validate a posted questionnaire; raise ``Invalid`` (nothing stored) on forged input."""
    statements = set(statement_ids)
    scales = {c.id: c for c in criteria}
    answers = AnswerSheet()
    action: str | None = None
    problems: list[str] = []
    seen: set[str] = set()
    for name, raw in items:
        if not name.startswith(("r-", "reason-")) and name != "action":
            continue
        if not isinstance(raw, str):
            problems.append(f"{_clip(name)}: expected text, got a file")
            continue
        if name in seen:
            problems.append(f"{_clip(name)}: sent more than once")
            continue
        seen.add(name)
        value = raw.strip()
        if name == "action":
            action = value
        elif match := _RATING_FIELD.fullmatch(name):
            statement_id, criterion_id = int(match[1]), int(match[2])
            criterion = scales.get(criterion_id)
            if statement_id not in statements or criterion is None:
                problems.append(f"{name}: no such statement and criterion on this round")
            elif value:
                _rating(answers, statement_id, criterion, name, value, problems)
        elif match := _REASON_FIELD.fullmatch(name):
            statement_id = int(match[1])
            if statement_id not in statements:
                problems.append(f"{name}: no such statement on this round")
            elif "\x00" in value:
                # No browser sends it from a textarea, and PostgreSQL cannot store it in text.
                problems.append(f"{name}: a reason cannot contain a NUL character")
            elif len(value) > REASON_MAX_LENGTH:
                problems.append(
                    f"{name}: a reason can be at most {REASON_MAX_LENGTH} characters "
                    f"(this one has {len(value)})"
                )
            elif value:
                answers.reasons[statement_id] = value
        else:
            problems.append(f"{_clip(name)}: not a field of this questionnaire")
    if action not in ACTIONS:
        problems.append(f"action: must be one of {', '.join(ACTIONS)}, got {_clip(action)!r}")
    if problems:
        raise Invalid(
            "Your answers were not saved because the form contained values it cannot "
            f"contain: {'; '.join(problems)}. Reload the questionnaire and try again.",
            problems,
        )
    return Posted(action="save" if action == "save" else "submit", answers=answers)


def _clip(text: str | None, limit: int = 40) -> str | None:
    """A posted name or value short enough to quote back in an error message."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}…"


def _rating(
    answers: AnswerSheet,
    statement_id: int,
    criterion: CriterionInfo,
    name: str,
    value: str,
    problems: list[str],
) -> None:
    if value == CANNOT_JUDGE:
        answers.ratings[(statement_id, criterion.id)] = None
        return
    if not re.fullmatch(r"-?\d{1,9}", value):
        problems.append(f"{name}: {value[:20]!r} is not a whole number or {CANNOT_JUDGE!r}")
        return
    rating = int(value)
    if not criterion.scale_low <= rating <= criterion.scale_high:
        problems.append(
            f"{name}: {rating} is off the {criterion.key} scale "
            f"({criterion.scale_low} to {criterion.scale_high})"
        )
        return
    answers.ratings[(statement_id, criterion.id)] = rating
