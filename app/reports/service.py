"""The final study report, built from the stored snapshots (aggregates only).

:func:`build` gives plain JSON-ready data: the API serves it as it is, the console page
and the PDF render it. Nothing in it joins a panelist to a rating or a reason, and every
figure about a group follows the suppression already applied in the snapshots.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

import engine
from app.analysis import plan as analysis_plan
from app.analysis import study
from app.i18n import N_
from app.models import Survey
from app.reasons import summaries
from app.statements.service import every_version

#: The ACCORD sections and the topics each asks for, and whether this report itself
#: fills them in (True) or leaves them to the authors (False). Wording is ours; see
#: Gattrell et al. (2024), PLOS Medicine 21(1): e1004326, for the checklist itself. The
#: topics stay English in the data (the API); the report page translates them.
ACCORD_ITEMS: tuple[tuple[str, str, bool, str], ...] = (
    (
        "title",
        N_("Identify the report as a consensus study and name the method (Delphi)"),
        False,
        "",
    ),
    ("introduction", N_("Why consensus was sought, and the study's aim"), False, ""),
    ("methods", N_("Consensus defined in advance: the rule and threshold"), True, "plan"),
    ("methods", N_("Changes to the pre-registered definitions, with reasons"), True, "plan"),
    ("methods", N_("Number of rounds planned and the stopping rule"), True, "plan"),
    ("methods", N_("Panel composition: stakeholder groups and numbers invited"), True, "panel"),
    ("methods", N_("How panelists were selected and recruited"), False, ""),
    ("methods", N_("Anonymity of the panel and of the answers"), True, "method"),
    ("methods", N_("Rating scales and how answers were collected"), True, "method"),
    ("methods", N_("Feedback given to the panel between rounds"), True, "method"),
    ("methods", N_("Statistical analysis, including handling of 'cannot judge'"), True, "method"),
    ("methods", N_("Software and version used for the analysis"), True, "method"),
    ("results", N_("Participants per round: invited, responded, response rate"), True, "rounds"),
    (
        "results",
        N_("Attrition between rounds and whether it biased the results"),
        True,
        "attrition",
    ),
    ("results", N_("Outcome of each statement: consensus, dissent, dropped"), True, "statements"),
    ("results", N_("Results per round, including the trajectory of ratings"), True, "statements"),
    (
        "results",
        N_("Robustness of the conclusions to the consensus definition"),
        True,
        "sensitivity",
    ),
    ("discussion", N_("Areas of stable dissent and the arguments on each side"), True, "dissent"),
    ("discussion", N_("Strengths and limitations of the study"), False, ""),
    ("other", N_("Funding and the role of funders"), False, ""),
    ("other", N_("Conflicts of interest of the organisers and panel"), False, ""),
    ("other", N_("Protocol or registration"), True, "plan"),
)


def build(session: Session, survey: Survey) -> dict[str, Any]:
    """The whole report of ``survey``; 409 while a round is open."""
    rounds = study.closed_rounds(session, survey, rated_only=False, while_open=False)
    rated = [r for r in rounds if r.snapshot.results.get("statements")]
    statements = {s.id: s for s in every_version(session, survey)}
    criteria = {c.key: c for c in survey.criteria}
    trajectories = study.trajectory(survey, rated)
    last = {item["key"]: item for item in trajectories}
    plan = analysis_plan.get(session, survey)
    report: dict[str, Any] = {
        "study": {
            "key": survey.key,
            "title": survey.text(survey.title),
            "state": survey.state.value,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "engine_version": engine.__version__,
            "min_group_size": survey.min_group_size,
        },
        "panel": _panel(survey, rounds),
        "rounds": [
            {
                "number": r.round.number,
                "opened_at": _iso(r.round.opened_at),
                "closed_at": _iso(r.round.closed_at),
                "invited": r.snapshot.invited,
                "responded": r.snapshot.responded,
                "response_rate": r.snapshot.responded / r.snapshot.invited
                if r.snapshot.invited
                else None,
                "proposals_only": not r.snapshot.results.get("statements"),
                "engine_version": r.snapshot.engine_version,
                "method": {k: v for k, v in r.snapshot.method.items() if k != "criteria"},
                "criteria": r.snapshot.method.get("criteria", []),
            }
            for r in rounds
        ],
        "plan": _plan(plan),
        "criteria": [
            {
                "key": c.key,
                "label": survey.text(c.label),
                "scale": [c.scale_low, c.scale_high],
                "agree": [c.agree_low, c.agree_high],
                "disagree": [c.disagree_low, c.disagree_high],
                "rule": str(engine.ConsensusRule.from_dict(c.consensus_rule))
                if c.consensus_rule
                else None,
            }
            for c in survey.criteria
        ],
        "statements": [],
        "dissent": [],
        "opinion_groups": [],
        "sensitivity": [],
        "attrition": [],
        "agreement": [],
        "rankings": [
            {"round": closed.round.number, "questions": closed.snapshot.results["rankings"]}
            for closed in rated
            if closed.snapshot.results.get("rankings")
        ],
        "stability": study.stability(trajectories),
    }
    final_entries: dict[str, tuple[int, dict[str, Any]]] = {}
    for closed in rated:
        for entry in closed.snapshot.results["statements"]:
            final_entries[entry["key"]] = (closed.round.number, entry)
    for key, (number, entry) in final_entries.items():
        statement = statements[entry["statement_id"]]
        report["statements"].append(
            {
                "key": key,
                "label": statement.label,
                "topic": entry["topic"],
                "text": survey.text(statement.text),
                "final_round": number,
                "outcome": entry["outcome"],
                "state": statement.state.value,
                "final": {
                    c: {
                        "median": rec["median"],
                        "q1": rec["q1"],
                        "q3": rec["q3"],
                        "agree": rec["agree"],
                        "n": rec["n"],
                        "counts": rec["counts"],
                        "consensus": rec.get("consensus"),
                    }
                    for c, rec in entry["criteria"].items()
                },
                "groups": entry.get("groups", {}),
                "trajectory": last[key]["criteria"] if key in last else {},
            }
        )
    order = {s.key: s.position for s in survey.statements}
    report["statements"].sort(key=lambda s: order.get(s["key"], 1 << 30))
    for closed in rated:
        analysis = closed.snapshot.results.get("analysis")
        if not analysis:
            continue  # closed before these analyses were stored
        number = closed.round.number
        columns = [e["key"] for e in closed.snapshot.results["statements"]]
        report["sensitivity"].append(
            {"round": number, "statements": columns, "criteria": analysis["sensitivity"]}
        )
        report["opinion_groups"].append({"round": number, **analysis["opinion_groups"]})
        report["agreement"].append(
            {"round": number, "statements": columns, "criteria": analysis["agreement"]}
        )
        report["attrition"].append(
            {"round": number, "flow": analysis["flow"], "tests": analysis.get("attrition")}
        )
    report["dissent"] = _dissent(session, survey, rated, report["statements"], criteria)
    report["accord"] = [
        {"section": section, "item": item, "filled": filled, "where": where}
        for section, item, filled, where in ACCORD_ITEMS
    ]
    return report


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def _panel(survey: Survey, rounds: list[study.ClosedRound]) -> list[dict[str, Any]]:
    """Invited and submitted per stakeholder group and round (held back below k)."""
    rows = []
    for group in [*(g["key"] for g in survey.stakeholder_groups), None]:
        per_round = []
        for closed in rounds:
            flow = (closed.snapshot.results.get("analysis") or {}).get("flow") or []
            cell = next((f for f in flow if f["group"] == group), None)
            per_round.append({"round": closed.round.number, **(cell or {})})
        rows.append(
            {
                "group": group,
                "label": survey.group_label(group) if group else None,
                "rounds": per_round,
            }
        )
    return rows


def _plan(plan: Any) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "frozen_at": _iso(plan.frozen_at),
        "hash": plan.content_hash,
        "current_hash": analysis_plan.current_hash(plan),
        "content": plan.content,
        "amendments": [
            {
                "at": _iso(a.amended_at),
                "by": a.actor,
                "reason": a.reason,
                "changes": a.changes,
                "hash": a.content_hash,
            }
            for a in plan.amendments
        ],
    }


def _dissent(
    session: Session,
    survey: Survey,
    rated: list[study.ClosedRound],
    statements: list[dict[str, Any]],
    criteria: dict[str, Any],
) -> list[dict[str, Any]]:
    """Statements that ended without consensus, with the reasons given on each side."""
    if not rated:
        return []
    by_number = {r.round.number: r.round for r in rated}
    primary = next((c for c in survey.criteria if c.consensus_rule), survey.criteria[0])
    summaries_by_round: dict[int, dict[int, summaries.StatementSummary]] = {}
    out = []
    for item in statements:
        if item["outcome"] == "consensus":
            continue
        number = item["final_round"]
        if number not in summaries_by_round:
            summaries_by_round[number] = summaries.of_round(session, survey, by_number[number])
        final_id = item["trajectory"].get(primary.key, [{}])[-1].get("statement_id")
        summary = summaries_by_round[number].get(final_id) if final_id else None
        sides = {}
        for band in ("disagree", "agree"):
            found = summary.of(primary.key, "scale") if summary else []
            match = next((b for b in found if b.band == band), None)
            sides[band] = {
                "count": match.count if match else 0,
                "reasons": match.representative if match else [],
            }
        out.append(
            {
                "key": item["key"],
                "label": item["label"],
                "text": item["text"],
                "outcome": item["outcome"],
                "round": number,
                "criterion": primary.key,
                "sides": sides,
            }
        )
    return out
