"""Argument strength: how often each reason of a round was shown in the next round, how
often it was marked persuasive, and how much the ratings of those who read it moved.

The counts come from the next round's submitted answer sets (each records the reasons
its questionnaire showed and those marked). A change figure is the mean absolute change
of a rating from this round to the next (a reworded statement counts as its earlier
version) among the panelists who were shown, or who marked, the reason; like every
figure, it is given only when at least k panelists stand behind it. Nothing here names
a panelist or a respondent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Endorsement, Response, Round, RoundState, Survey
from app.reasons.service import RoundReason, round_reasons
from app.rounds import repository
from app.rounds.plan import plan_of


@dataclass(frozen=True)
class Strength:
    reason: RoundReason
    shown: int
    marked: int
    # criterion key -> mean absolute rating change; None with fewer than k behind it
    change_shown: dict[str, float | None]
    change_marked: dict[str, float | None]


@dataclass(frozen=True)
class ArgumentStrength:
    round_number: int  # the round the reasons were written in
    next_round: int  # the round that showed them
    reasons: list[Strength]  # most often marked first
    largest: list[Strength]  # the largest changes among those who marked it, first
    min_group_size: int


def argument_strength(session: Session, survey: Survey, round_: Round) -> ArgumentStrength | None:
    """How the reasons of closed ``round_`` fared in the next round, once that is closed
    too (``None`` before: an open round's answers are not read)."""
    following = repository.by_number(session, survey, round_.number + 1)
    if following is None or following.state != RoundState.CLOSED:
        return None
    reasons = round_reasons(session, survey, round_, include_hidden=True)
    readers: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for reason_id, respondent_id, persuasive in session.execute(
        select(Endorsement.reason_id, Endorsement.respondent_id, Endorsement.persuasive).where(
            Endorsement.round_id == following.id
        )
    ):
        readers[reason_id].append((respondent_id, bool(persuasive)))
    changes = _changes(session, survey, round_, following)
    k = survey.min_group_size
    keys = [c.key for c in survey.criteria]
    result = []
    for reason in reasons:
        per_reader = readers.get(reason.id, [])
        shown, marked = len(per_reader), sum(p for _, p in per_reader)

        result.append(
            Strength(
                reason=reason,
                shown=shown,
                marked=marked,
                change_shown={
                    key: _mean_change(changes, per_reader, reason.statement_id, key, False, k)
                    for key in keys
                },
                change_marked={
                    key: _mean_change(changes, per_reader, reason.statement_id, key, True, k)
                    for key in keys
                },
            )
        )
    result.sort(key=lambda s: (-s.marked, -s.shown, s.reason.statement_id, s.reason.id))
    first = keys[0]
    largest = sorted(
        (s for s in result if s.change_marked[first] is not None),
        key=lambda s: (-(s.change_marked[first] or 0.0), s.reason.id),
    )
    return ArgumentStrength(
        round_number=round_.number,
        next_round=following.number,
        reasons=result,
        largest=largest,
        min_group_size=k,
    )


def _mean_change(
    changes: dict[tuple[int, int, str], float],
    readers: list[tuple[int, bool]],
    statement_id: int,
    criterion: str,
    only_marked: bool,
    k: int,
) -> float | None:
    """The mean rating change of ``readers`` (those who marked it, if ``only_marked``), or
    ``None`` when fewer than ``k`` of them rated the statement in both rounds."""
    values = [
        change
        for respondent_id, persuasive in readers
        if persuasive or not only_marked
        if (change := changes.get((respondent_id, statement_id, criterion))) is not None
    ]
    return float(np.mean(values)) if len(values) >= k else None


def _changes(
    session: Session, survey: Survey, round_: Round, following: Round
) -> dict[tuple[int, int, str], float]:
    """|rating next round - rating this round| per (respondent, statement of this round,
    criterion key), for everyone who rated both on the scale."""
    before_plan = plan_of(session, round_.id, round_.opened_at, round_.number)
    after_plan = plan_of(session, following.id, following.opened_at, following.number)
    earlier = set(before_plan.statement_ids)
    source = {}
    for item in after_plan.items:
        for candidate in (item.statement_id, *item.reworded_from):
            if candidate in earlier:
                source[item.statement_id] = candidate
                break
    key_of = {c.id: c.key for c in survey.criteria}
    ratings: dict[tuple[int, int, int, int], int] = {}
    for round_id, respondent_id, statement_id, criterion_id, rating in session.execute(
        select(
            Response.round_id,
            Response.respondent_id,
            Response.statement_id,
            Response.criterion_id,
            Response.rating,
        ).where(Response.round_id.in_([round_.id, following.id]), Response.rating.is_not(None))
    ):
        if rating is not None:
            ratings[(round_id, respondent_id, statement_id, criterion_id)] = rating
    result = {}
    for (round_id, respondent_id, statement_id, criterion_id), after in ratings.items():
        if round_id != following.id or statement_id not in source:
            continue
        before = ratings.get((round_.id, respondent_id, source[statement_id], criterion_id))
        if before is not None:
            result[(respondent_id, source[statement_id], key_of[criterion_id])] = float(
                abs(after - before)
            )
    return result
