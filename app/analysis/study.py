"""Study-wide views read back from the stored snapshots: trajectories and stability.

Nothing is recomputed from answers: every figure here is one a snapshot already holds,
so the views of a finished study never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import N_, Conflict
from app.models import Round, RoundSnapshot, RoundState, Survey
from app.rounds import repository


@dataclass(frozen=True)
class ClosedRound:
    round: Round
    snapshot: RoundSnapshot


def closed_rounds(
    session: Session, survey: Survey, *, rated_only: bool = True, while_open: bool = True
) -> list[ClosedRound]:
    """The study's closed rounds with their snapshots, in order.

    With ``while_open=False`` refused (409) while a round is open: the final report would
    present as final a study whose answers are still coming in.
    """
    open_round = repository.open_round(session, survey)
    if open_round is not None and not while_open:
        raise Conflict(
            N_(
                "round %(number)s of study %(key)r is still open; the final report is "
                "published once no round is open: close the round first"
            ),
            number=open_round.number,
            key=survey.key,
        )

    rows = session.execute(
        select(Round, RoundSnapshot)
        .join(RoundSnapshot, RoundSnapshot.round_id == Round.id)
        .where(Round.survey_id == survey.id, Round.state == RoundState.CLOSED)
        .order_by(Round.number)
    ).all()
    return [ClosedRound(r, s) for r, s in rows if not rated_only or s.results.get("statements")]


def trajectory(survey: Survey, rounds: list[ClosedRound]) -> list[dict[str, Any]]:
    """Per statement key and criterion, the round-by-round median, quartiles and agreement.

    A statement keeps its key across rewordings; each point names the version rated.
    """
    by_key: dict[str, dict[str, Any]] = {}
    for closed in rounds:
        for entry in closed.snapshot.results["statements"]:
            item = by_key.setdefault(
                entry["key"],
                {"key": entry["key"], "topic": entry["topic"], "criteria": {}, "outcomes": []},
            )
            item["outcomes"].append({"round": closed.round.number, "outcome": entry["outcome"]})
            for criterion, record in entry["criteria"].items():
                change = (entry.get("change") or {}).get(criterion)
                item["criteria"].setdefault(criterion, []).append(
                    {
                        "round": closed.round.number,
                        "statement_id": entry["statement_id"],
                        "n": record["n"],
                        "median": record["median"],
                        "q1": record["q1"],
                        "q3": record["q3"],
                        "iqr": record["iqr"],
                        "agree": record["agree"],
                        "consensus": record.get("consensus"),
                        "net_change": change["net_change"] if change else None,
                        "stable": change["stable"] if change else None,
                        "stopping": change.get("stopping") if change else None,
                    }
                )
    order = {s.key: s.position for s in survey.statements}
    return sorted(by_key.values(), key=lambda item: (order.get(item["key"], 1 << 30), item["key"]))


def stability(trajectories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per statement and criterion: in how many consecutive last rounds it was stable.

    Stable: the net change since the round before stayed below the study's threshold with
    no significant Wilcoxon shift (``engine.stopping``, stored with each snapshot).
    """
    rows = []
    for item in trajectories:
        for criterion, points in item["criteria"].items():
            run = 0
            for point in reversed(points):
                if not point["stable"]:
                    break
                run += 1
            rows.append(
                {
                    "key": item["key"],
                    "criterion": criterion,
                    "rounds": [p["round"] for p in points],
                    "net_change": [p["net_change"] for p in points],
                    "stable_run": run,
                    "last_decision": points[-1]["stopping"],
                }
            )
    return rows


def _analysis(closed: ClosedRound) -> dict[str, Any] | None:
    analysis: dict[str, Any] | None = closed.snapshot.results.get("analysis")
    return analysis


def sensitivity(rounds: list[ClosedRound]) -> list[dict[str, Any]]:
    """Per closed round and criterion: each rule's verdicts, robust statements and flips."""
    out = []
    for closed in rounds:
        analysis = _analysis(closed)
        if analysis is None:
            continue  # closed before the analyses were stored
        keys = [e["key"] for e in closed.snapshot.results["statements"]]
        out.append(
            {"round": closed.round.number, "statements": keys, "criteria": analysis["sensitivity"]}
        )
    return out


def opinion_groups(closed: ClosedRound) -> dict[str, Any] | None:
    """The opinion groups stored with one closed round (``None`` if none were stored)."""
    analysis = _analysis(closed)
    return (
        None if analysis is None else {"round": closed.round.number, **analysis["opinion_groups"]}
    )


def attrition(rounds: list[ClosedRound]) -> list[dict[str, Any]]:
    """Per closed round: the flow per stakeholder group and the dropout comparison."""
    out = []
    for closed in rounds:
        analysis = _analysis(closed)
        if analysis is None:
            continue
        out.append(
            {"round": closed.round.number, "flow": analysis["flow"], "tests": analysis["attrition"]}
        )
    return out
