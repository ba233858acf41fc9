"""The questionnaire form at the boundary: field names, values, and what is acceptable.

Field names are ``r-<statement_id>-<criterion_id>`` (a scale point, or ``cj`` for
"cannot judge"), ``rank-<statement_id>-<criterion_id>`` (a position, see app.rankings.form),
``reason-<statement_id>``, ``proposal-<topic_id>`` and ``persuasive``
(once per reason marked, its id as value). Anything a browser could not have sent from
our form (a point off the scale, a statement not on this round, a reason it did not
show) rejects the whole post, so nothing half-valid is ever stored. A reason or proposal
that is too long is not stored either, but the rest of the post is: the page shows it
again beside its field, with the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from app.answers.sheet import CANNOT_JUDGE_VALUE, AnswerSheet, Cell
from app.errors import N_, Invalid, Joined, Say
from app.rounds.plan import CriterionInfo

CANNOT_JUDGE = CANNOT_JUDGE_VALUE
REASON_MAX_LENGTH = 4000
PROPOSAL_MAX_LENGTH = 1000
PERSUASIVE_FIELD = "persuasive"
# "save" stays on the page, "autosave" is the script's (no page back), "next", "previous"
# and "review" move on; each saves the draft first. Only "submit" submits.
ACTIONS = ("save", "autosave", "next", "previous", "review", "submit")

Action = Literal["save", "autosave", "next", "previous", "review", "submit"]

_RATING_FIELD = re.compile(r"r-(\d{1,18})-(\d{1,18})")
_RANK_FIELD = re.compile(r"rank-(\d{1,18})-(\d{1,18})")
_REASON_FIELD = re.compile(r"reason-(\d{1,18})")
_PROPOSAL_FIELD = re.compile(r"proposal-(\d{1,18})")


def rating_field(statement_id: int, criterion_id: int) -> str:
    return f"r-{statement_id}-{criterion_id}"


def reason_field(statement_id: int) -> str:
    return f"reason-{statement_id}"


def proposal_field(topic_id: int) -> str:
    return f"proposal-{topic_id}"


@dataclass(frozen=True)
class Posted:
    """A parsed post; ``too_long`` holds, by field name, texts over their limit (kept
    out of ``answers``, so never stored, but shown again for the panelist to shorten)."""

    action: Action
    answers: AnswerSheet
    too_long: dict[str, str] = field(default_factory=dict)


def parse_form(
    items: Iterable[tuple[str, object]],
    statement_ids: Iterable[int],
    criteria: Iterable[CriterionInfo],
    *,
    proposal_topics: Iterable[int] = (),
    shown_reasons: Iterable[int] = (),
    rank_limits: Mapping[Cell, int] | None = None,
) -> Posted:
    """Validate a posted questionnaire; raise ``Invalid`` (nothing stored) on forged input.

    ``proposal_topics`` are the topics the page offers a proposal box for,
    ``shown_reasons`` the reasons it lets the panelist mark persuasive, and
    ``rank_limits`` the highest position of each ranking field it shows.
    """
    limits = rank_limits or {}
    statements = set(statement_ids)
    scales = {c.id: c for c in criteria}
    topics = set(proposal_topics)
    shown = set(shown_reasons)
    answers = AnswerSheet()
    too_long: dict[str, str] = {}
    action: str | None = None
    problems: list[str] = []
    seen: set[str] = set()
    for name, raw in items:
        if not name.startswith(("r-", "rank-", "reason-", "proposal-")) and name not in (
            "action",
            PERSUASIVE_FIELD,
        ):
            continue
        if not isinstance(raw, str):
            problems.append(Say(N_("%(name)s: expected text, got a file"), {"name": _clip(name)}))
            continue
        value = raw.strip()
        if name == PERSUASIVE_FIELD:
            _persuasive(answers, value, shown, problems)
            continue
        if name in seen:
            problems.append(Say(N_("%(name)s: sent more than once"), {"name": _clip(name)}))
            continue
        seen.add(name)
        if "\x00" in value:
            # No browser sends it from our form, and PostgreSQL cannot store it in text.
            problems.append(
                Say(N_("%(name)s: cannot contain a NUL character"), {"name": _clip(name)})
            )
        elif name == "action":
            action = value
        elif match := _RATING_FIELD.fullmatch(name):
            statement_id, criterion_id = int(match[1]), int(match[2])
            criterion = scales.get(criterion_id)
            if statement_id not in statements or criterion is None:
                problems.append(
                    Say(
                        N_("%(name)s: no such statement and criterion on this round"),
                        {"name": name},
                    )
                )
            elif value:
                _rating(answers, statement_id, criterion, name, value, problems)
        elif match := _RANK_FIELD.fullmatch(name):
            cell = (int(match[1]), int(match[2]))
            if cell not in limits:
                problems.append(Say(N_("%(name)s: no such ranking on this round"), {"name": name}))
            elif value:
                _position(answers, cell, limits[cell], name, value, problems)
        elif match := _REASON_FIELD.fullmatch(name):
            statement_id = int(match[1])
            if statement_id not in statements:
                problems.append(
                    Say(N_("%(name)s: no such statement on this round"), {"name": name})
                )
            elif len(value) > REASON_MAX_LENGTH:
                too_long[name] = value
            elif value:
                answers.reasons[statement_id] = value
        elif match := _PROPOSAL_FIELD.fullmatch(name):
            topic_id = int(match[1])
            if topic_id not in topics:
                problems.append(
                    Say(
                        N_("%(name)s: this questionnaire takes no proposal for that topic"),
                        {"name": name},
                    )
                )
            elif len(value) > PROPOSAL_MAX_LENGTH:
                too_long[name] = value
            elif value:
                answers.proposals[topic_id] = value
        else:
            problems.append(
                Say(N_("%(name)s: not a field of this questionnaire"), {"name": _clip(name)})
            )
    if action not in ACTIONS:
        problems.append(
            Say(
                N_("action: must be one of %(actions)s, got %(action)s"),
                {"actions": ", ".join(ACTIONS), "action": repr(_clip(action))},
            )
        )
    if problems:
        raise Invalid(
            N_(
                "Your answers were not saved because the form contained values it cannot "
                "contain: %(details)s. Reload the questionnaire and try again."
            ),
            problems,
            details=Joined(problems),
        )
    return Posted(action=cast(Action, action), answers=answers, too_long=too_long)


def _persuasive(answers: AnswerSheet, value: str, shown: set[int], problems: list[str]) -> None:
    if not re.fullmatch(r"\d{1,18}", value) or int(value) not in shown:
        problems.append(
            Say(
                N_("%(field)s: %(value)s is not a reason this page shows"),
                {"field": PERSUASIVE_FIELD, "value": repr(_clip(value))},
            )
        )
    elif int(value) in answers.persuasive:
        problems.append(
            Say(
                N_("%(field)s: %(value)s sent more than once"),
                {"field": PERSUASIVE_FIELD, "value": value},
            )
        )
    else:
        answers.persuasive.add(int(value))


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
        problems.append(
            Say(
                N_("%(name)s: %(value)s is not a whole number or %(cannot_judge)s"),
                {"name": name, "value": repr(value[:20]), "cannot_judge": repr(CANNOT_JUDGE)},
            )
        )
        return
    rating = int(value)
    if not criterion.scale_low <= rating <= criterion.scale_high:
        problems.append(
            Say(
                N_("%(name)s: %(rating)s is off the %(criterion)s scale (%(low)s to %(high)s)"),
                {
                    "name": name,
                    "rating": rating,
                    "criterion": criterion.key,
                    "low": criterion.scale_low,
                    "high": criterion.scale_high,
                },
            )
        )
        return
    answers.ratings[(statement_id, criterion.id)] = rating


def _position(
    answers: AnswerSheet, cell: Cell, limit: int, name: str, value: str, problems: list[str]
) -> None:
    # Repeated or missing positions are a panelist's mistake (see app.rankings.form); a
    # position the list does not offer is not.
    if not re.fullmatch(r"\d{1,9}", value) or not 1 <= int(value) <= limit:
        problems.append(
            Say(
                N_("%(name)s: %(value)s is not a position from 1 to %(limit)s"),
                {"name": name, "value": repr(value[:20]), "limit": limit},
            )
        )
        return
    answers.ratings[cell] = int(value)
