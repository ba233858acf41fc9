"""Where a statement came from and how each of its versions fared.

A statement's family is every version linked to it through rewording, splitting and
merging, in either direction. Each version is shown with its origin, its parents and
children, and the rounds that rated it with their results (from the rounds' snapshots,
never recomputed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Round,
    RoundItem,
    RoundSnapshot,
    Statement,
    Survey,
    statement_parent,
)


@dataclass(frozen=True)
class RoundResult:
    number: int
    state: str
    outcome: str | None  # consensus, carried, stable; None until the round has results
    criteria: dict[str, dict[str, Any]]  # criterion key -> n, median, q1, q3, agree


@dataclass(frozen=True)
class Version:
    statement: Statement
    parent_ids: list[int] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    rounds: list[RoundResult] = field(default_factory=list)


@dataclass(frozen=True)
class Lineage:
    focus: Statement
    versions: list[Version]  # the whole family, oldest first

    def version(self, statement_id: int) -> Version:
        return next(v for v in self.versions if v.statement.id == statement_id)


def versions(session: Session, survey: Survey) -> list[Version]:
    """Every statement of ``survey`` with its links and rounds, in study order."""
    statements = list(
        session.scalars(
            select(Statement)
            .where(Statement.survey_id == survey.id)
            .order_by(Statement.position, Statement.key, Statement.version, Statement.id)
        )
    )
    parents: dict[int, list[int]] = {}
    children: dict[int, list[int]] = {}
    for child, parent in session.execute(
        select(statement_parent.c.statement_id, statement_parent.c.parent_id)
        .join(Statement, Statement.id == statement_parent.c.statement_id)
        .where(Statement.survey_id == survey.id)
        .order_by(statement_parent.c.parent_id, statement_parent.c.statement_id)
    ):
        parents.setdefault(child, []).append(parent)
        children.setdefault(parent, []).append(child)
    results = _results(session, survey)
    return [
        Version(
            statement=s,
            parent_ids=parents.get(s.id, []),
            child_ids=children.get(s.id, []),
            rounds=results.get(s.id, []),
        )
        for s in statements
    ]


def lineage(session: Session, survey: Survey, statement: Statement) -> Lineage:
    """``statement``'s family: every version linked to it, oldest first."""
    everything = {v.statement.id: v for v in versions(session, survey)}
    family = {statement.id}
    frontier = [statement.id]
    while frontier:
        current = everything[frontier.pop()]
        for linked in (*current.parent_ids, *current.child_ids):
            if linked not in family:
                family.add(linked)
                frontier.append(linked)
    members = sorted(
        (everything[i] for i in family), key=lambda v: (v.statement.created_at, v.statement.id)
    )
    return Lineage(focus=statement, versions=members)


def _results(session: Session, survey: Survey) -> dict[int, list[RoundResult]]:
    rows = session.execute(
        select(RoundItem.statement_id, Round.number, Round.state)
        .join(Round, Round.id == RoundItem.round_id)
        .where(Round.survey_id == survey.id)
        .order_by(Round.number)
    ).all()
    entries: dict[tuple[int, int], dict[str, Any]] = {}
    for number, results in session.execute(
        select(Round.number, RoundSnapshot.results)
        .join(RoundSnapshot, RoundSnapshot.round_id == Round.id)
        .where(Round.survey_id == survey.id)
    ):
        for entry in results.get("statements", []):
            entries[(number, int(entry["statement_id"]))] = entry
    result: dict[int, list[RoundResult]] = {}
    for statement_id, number, state in rows:
        entry = entries.get((number, statement_id))
        result.setdefault(statement_id, []).append(
            RoundResult(
                number=number,
                state=state.value,
                outcome=entry["outcome"] if entry else None,
                criteria={
                    key: {name: record.get(name) for name in ("n", "median", "q1", "q3", "agree")}
                    for key, record in (entry or {}).get("criteria", {}).items()
                },
            )
        )
    return result
