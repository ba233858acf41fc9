"""The round report: a closed round's snapshot arranged for reading.

Everything here comes from the stored RoundSnapshot (aggregates only), never from
individual answers, so the report cannot show who rated what.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Proposal, Round, RoundSnapshot, Survey, SurveyState
from app.reasons import summaries
from app.reasons.service import round_reasons
from app.reports import figures
from app.rounds import repository
from app.statements.service import every_version

OUTCOMES = ("consensus", "carried", "stable")

# Readable names for the method settings a snapshot records.
SETTING_LABELS = {
    "quantile_method": "Quartile method",
    "cannot_judge_counts": '"Cannot judge" answers count in the agreement shares',
    "stability_threshold": "Stability: largest share of panelists who may change their rating",
    "stability_alpha": "Stability: Wilcoxon signed-rank significance level",
    "min_group_size": "Fewest raters a stakeholder group needs on a statement to be reported (k)",
    "alternative_rules": "Alternative consensus rules compared in the sensitivity analysis",
}


@dataclass(frozen=True)
class GroupFigures:
    key: str
    label: str
    figures: dict[str, Any] | None  # None: suppressed, no figure may be shown


@dataclass(frozen=True)
class CriterionFigures:
    key: str
    label: str
    figures: dict[str, Any]
    consensus: bool | None  # None: the criterion has no consensus rule
    change: dict[str, Any] | None
    divergence_p: float | None
    groups: list[GroupFigures]


@dataclass(frozen=True)
class StatementReport:
    id: int
    key: str
    label: str  # the key, with the version from the second on
    text: str
    outcome: str
    criteria: list[CriterionFigures]

    @property
    def criteria_keys(self) -> set[str]:
        return {c.key for c in self.criteria}


@dataclass(frozen=True)
class TopicReport:
    key: str
    title: str
    statements: list[StatementReport]


@dataclass(frozen=True)
class CriterionMethod:
    key: str
    label: str
    scale: tuple[int, int]
    agree: tuple[int, int]
    disagree: tuple[int, int]
    rule_text: str | None


@dataclass(frozen=True)
class RankedRow:
    key: str
    label: str
    text: str
    mean_rank: float | None
    distribution: list[int]
    unplaced: int


@dataclass(frozen=True)
class RankingReport:
    """One ranking question (a ranking criterion over one topic), statements by mean rank."""

    criterion: str
    topic: str
    figures: dict[str, Any]  # rankers, w, chi2, df, p, places, top
    rows: list[RankedRow]
    change: dict[str, Any] | None


@dataclass(frozen=True)
class Report:
    round: Round
    snapshot: RoundSnapshot
    topics: list[TopicReport]
    outcomes: Counter[str]
    criteria: list[CriterionMethod]
    settings: list[tuple[str, Any]]
    min_group_size: int
    # No later round will ask again: "carried" statements end here without consensus.
    final: bool
    rankings: list[RankingReport] = field(default_factory=list)


def build(session: Session, survey: Survey, round_: Round, snapshot: RoundSnapshot) -> Report:
    """Arrange ``snapshot`` by topic and statement, with labels from the study."""
    statements = {s.id: s for s in every_version(session, survey)}
    criteria = {c.key: c for c in survey.criteria}
    group_keys = [g["key"] for g in survey.stakeholder_groups]
    by_topic: dict[str, list[StatementReport]] = {t.key: [] for t in survey.topics}
    outcomes: Counter[str] = Counter()
    for entry in snapshot.results["statements"]:
        statement = statements[entry["statement_id"]]
        outcomes[entry["outcome"]] += 1
        by_topic.setdefault(entry["topic"], []).append(
            StatementReport(
                id=statement.id,
                key=entry["key"],
                label=statement.label,
                text=survey.text(statement.text),
                outcome=entry["outcome"],
                criteria=[
                    _criterion(survey, key, criteria[key].label, entry, group_keys)
                    for key in entry["criteria"]
                ],
            )
        )
    titles = {t.key: survey.text(t.title) for t in survey.topics}
    method = snapshot.method
    later = repository.by_number(session, survey, round_.number + 1)
    return Report(
        round=round_,
        snapshot=snapshot,
        topics=[
            TopicReport(key=key, title=titles.get(key, key), statements=items)
            for key, items in by_topic.items()
            if items
        ],
        outcomes=outcomes,
        criteria=[
            CriterionMethod(
                key=c["key"],
                label=survey.text(criteria[c["key"]].label) if c["key"] in criteria else c["key"],
                scale=(c["scale"][0], c["scale"][1]),
                agree=(c["agree"][0], c["agree"][1]),
                disagree=(c["disagree"][0], c["disagree"][1]),
                rule_text=c.get("rule_text"),
            )
            for c in method.get("criteria", [])
        ],
        settings=[
            (SETTING_LABELS.get(key, key.replace("_", " ")), value)
            for key, value in method.items()
            if key != "criteria"
        ],
        min_group_size=int(method.get("min_group_size", survey.min_group_size)),
        final=later is None
        and (round_.number >= survey.max_rounds or survey.state == SurveyState.FINISHED),
        rankings=_rankings(survey, snapshot, statements, titles),
    )


def _rankings(
    survey: Survey,
    snapshot: RoundSnapshot,
    statements: dict[int, Any],
    titles: dict[str, str],
) -> list[RankingReport]:
    labels = {c.key: survey.text(c.label) for c in survey.rank_criteria}
    result = []
    for question in snapshot.results.get("rankings", []):
        rows = [
            RankedRow(
                key=s["key"],
                label=statements[s["statement_id"]].label,
                text=survey.text(statements[s["statement_id"]].text),
                mean_rank=s["mean_rank"],
                distribution=s["distribution"],
                unplaced=s["unplaced"],
            )
            for s in question["statements"]
        ]
        # Top first; a statement nobody ranked (no mean) last.
        rows.sort(key=lambda r: (r.mean_rank is None, r.mean_rank or 0.0))
        result.append(
            RankingReport(
                criterion=labels.get(question["criterion"], question["criterion"]),
                topic=titles.get(question["topic"], question["topic"]),
                figures={k: v for k, v in question.items() if k not in ("statements", "change")},
                rows=rows,
                change=question.get("change"),
            )
        )
    return result


def _criterion(
    survey: Survey,
    key: str,
    label: dict[str, Any],
    entry: dict[str, Any],
    group_keys: list[str],
) -> CriterionFigures:
    record = dict(entry["criteria"][key])
    groups = entry.get("groups", {}).get(key, {})
    return CriterionFigures(
        key=key,
        label=survey.text(label),
        consensus=record.pop("consensus", None),
        figures=record,
        change=entry.get("change", {}).get(key),
        divergence_p=(entry.get("divergence", {}).get(key) or {}).get("p"),
        groups=[
            GroupFigures(key=g, label=survey.group_label(g), figures=groups.get(g))
            for g in group_keys
        ],
    )


@dataclass(frozen=True)
class RoundCharts:
    figures: figures.Figures
    criteria: list[CriterionMethod]  # the rated criteria, in the order of the heatmaps


def charts(survey: Survey, report: Report) -> RoundCharts:
    """The round's charts, drawn by the final report's chart code: per statement and
    criterion the distribution, the map of the first two criteria and one heatmap of the
    stakeholder groups per criterion (suppressed cells as the tables suppress them)."""
    rated = [
        c
        for c in report.criteria
        if any(c.key in s.criteria_keys for t in report.topics for s in t.statements)
    ]
    data: dict[str, Any] = {
        "study": {"min_group_size": report.min_group_size},
        "criteria": [{"key": c.key, "label": c.label, "scale": list(c.scale)} for c in rated],
        "statements": [
            {
                "key": s.key,
                "label": s.label,
                "outcome": s.outcome,
                "final_round": report.round.number,
                "final": {c.key: c.figures for c in s.criteria},
                "groups": {c.key: {g.key: g.figures for g in c.groups} for c in s.criteria},
                "trajectory": {},
            }
            for t in report.topics
            for s in t.statements
        ],
        "opinion_groups": [],
    }
    groups = [(g["key"], survey.group_label(g["key"])) for g in survey.stakeholder_groups]
    return RoundCharts(figures.build(data, groups, None), rated)


@dataclass(frozen=True)
class RoundReasons:
    """What the report says about a round's reasons and proposals."""

    summaries: dict[int, summaries.StatementSummary]  # by statement id
    hidden: int
    proposals: int  # proposals written in this round


def reasons(session: Session, survey: Survey, round_: Round) -> RoundReasons:
    """Summaries of the closed round's visible reasons per statement and band."""
    everything = round_reasons(session, survey, round_, include_hidden=True)
    return RoundReasons(
        summaries=summaries.of_round(session, survey, round_),
        hidden=sum(r.hidden for r in everything),
        proposals=int(
            session.scalar(
                select(func.count()).select_from(Proposal).where(Proposal.round_id == round_.id)
            )
            or 0
        ),
    )
