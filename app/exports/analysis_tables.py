"""The final report's tables as round tables: the trajectory up to a round, and the
verdicts of every consensus rule on it (sensitivity).

Both are read from stored snapshots only (``app.analysis.study``), as the report is, so
they hold the same figures and suppress nothing the report shows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.analysis import study
from app.exports.registry import Column, Rows, round_table
from app.models import Round, Survey


@round_table(
    "trajectory",
    "Each statement's figures per criterion in every closed round up to this one.",
    [
        Column("statement", "The statement's key (kept across rewordings)."),
        Column("topic", "The key of the statement's topic."),
        Column("criterion", "The criterion's key."),
        Column("round", "The round the figures are from."),
        Column("statement_id", "The id of the statement version rated in that round."),
        Column("n", "Raters of the statement on this criterion in that round."),
        Column("median", "The median rating."),
        Column("q1", "The lower quartile."),
        Column("q3", "The upper quartile."),
        Column("iqr", "The interquartile range, q3 - q1."),
        Column("agree", "The share of ratings inside the criterion's agree band."),
        Column("consensus", "1 if the criterion's rule held, 0 if not; empty: no rule."),
        Column("net_change", "Net share of raters who moved since the round before."),
        Column("stable", "1 if the ratings held still since the round before, 0 if not."),
    ],
)
def trajectory(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement, criterion and closed round up to ``round_``."""
    closed = [c for c in study.closed_rounds(session, survey) if c.round.number <= round_.number]
    rows: Rows = []
    for item in study.trajectory(survey, closed):
        for criterion, points in item["criteria"].items():
            for p in points:
                rows.append(
                    [
                        item["key"],
                        item["topic"],
                        criterion,
                        p["round"],
                        p["statement_id"],
                        p["n"],
                        p["median"],
                        p["q1"],
                        p["q3"],
                        p["iqr"],
                        p["agree"],
                        _flag(p["consensus"]),
                        p["net_change"],
                        _flag(p["stable"]),
                    ]
                )
    return rows


@round_table(
    "sensitivity",
    "The verdict on each statement and criterion under the study's rule, every preset and "
    "every alternative rule of the study file.",
    [
        Column("statement", "The statement's key."),
        Column("criterion", "The criterion's key."),
        Column("rule", "The rule's name (study: the criterion's own rule)."),
        Column("rule_text", "The rule as applied."),
        Column("consensus", "1 if the rule holds on the statement, 0 if not."),
        Column("robust", "1 if every rule gives the same verdict on the statement."),
    ],
)
def sensitivity(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement, criterion and rule of ``round_``'s stored sensitivity."""
    closed = [c for c in study.closed_rounds(session, survey) if c.round.id == round_.id]
    rows: Rows = []
    for entry in study.sensitivity(closed):
        keys = entry["statements"]
        for block in entry["criteria"]:
            texts = {r["name"]: r["text"] for r in block["rules"]}
            for name, verdicts in block["verdicts"].items():
                for j, key in enumerate(keys):
                    rows.append(
                        [
                            key,
                            block["criterion"],
                            name,
                            texts.get(name),
                            int(verdicts[j]),
                            int(block["robust"][j]),
                        ]
                    )
    return rows


def _flag(value: object) -> int | None:
    return None if value is None else int(bool(value))
