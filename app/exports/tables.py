"""The round tables: metrics, per-group metrics, ratings and reasons.

Every figure comes from the round's stored snapshot or from the same functions the API
answers with, so each table suppresses exactly what the pages and the API suppress.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from app.api import schemas
from app.api import service as api
from app.errors import N_, NotFound
from app.exports.registry import Column, Rows, Value, round_table
from app.models import Round, RoundSnapshot, Statement, Survey
from app.rounds import repository

METRICS = ("counts", "cannot_judge", *engine.Summary.metric_names())


def _described(model: type[schemas.Schema], name: str) -> str:
    description = model.model_fields[name].description
    if not description:  # the OpenAPI test keeps this unreachable
        raise ValueError(f"{model.__name__}.{name} has no description")
    return description


def _metric_columns() -> list[Column]:
    columns = [Column(name, _described(schemas.Summary, name)) for name in METRICS]
    columns[0] = Column("counts", "Ratings per scale point, lowest point first, space-separated.")
    return columns


ROW_KEYS = [
    Column("round", "The round number."),
    Column("statement", "The statement's key."),
    Column("version", "The statement's version (a reword makes a new one)."),
    Column("topic", "The topic's key."),
    Column("criterion", "The criterion's key."),
]


def _number(value: Any) -> Value:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return cast(Value, value)


def _metrics(record: dict[str, Any] | None) -> list[Value]:
    return [_number(record.get(name)) if record else None for name in METRICS]


def _entries(
    session: Session, round_: Round
) -> tuple[RoundSnapshot, list[dict[str, Any]], dict[int, int]]:
    snapshot = repository.snapshot_of(session, round_)
    if snapshot is None:
        raise NotFound(N_("round %(number)s has no computed results"), number=round_.number)
    entries = snapshot.results["statements"]
    versions = dict(
        session.execute(
            select(Statement.id, Statement.version).where(
                Statement.id.in_([e["statement_id"] for e in entries])
            )
        ).all()
    )
    return snapshot, entries, versions


@round_table(
    "metrics",
    "The panel's figures per statement and criterion, with consensus and paired change.",
    [
        *ROW_KEYS,
        Column("outcome", _described(schemas.StatementMetrics, "outcome")),
        Column("statement_consensus", "1 if every criterion with a rule reached consensus."),
        Column("rule", "The criterion's consensus rule as applied; empty without one."),
        Column("consensus", "1 if the rule holds on this criterion, 0 if not; empty: no rule."),
        *_metric_columns(),
        Column("change_pairs", _described(schemas.PairedChange, "pairs")),
        Column("change_changed", _described(schemas.PairedChange, "changed")),
        Column("change_median_shift", _described(schemas.PairedChange, "median_shift")),
        Column("change_wilcoxon_p", _described(schemas.PairedChange, "wilcoxon_p")),
        Column("change_net", _described(schemas.PairedChange, "net_change")),
        Column(
            "change_stable",
            "1 if the ratings held still between the rounds (net change below the "
            "threshold, no significant Wilcoxon change), 0 if not; empty without pairs.",
        ),
        Column("divergence_h", _described(schemas.Divergence, "h")),
        Column("divergence_p", _described(schemas.Divergence, "p")),
    ],
)
def metrics(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement and criterion of the round's snapshot."""
    snapshot, entries, versions = _entries(session, round_)
    rules = {c["key"]: c.get("rule_text") for c in snapshot.method["criteria"]}
    rows: Rows = []
    for entry in entries:
        for key, record in entry["criteria"].items():
            change = entry["change"].get(key) or {}
            divergence = entry["divergence"][key]
            rows.append(
                [
                    round_.number,
                    entry["key"],
                    versions[entry["statement_id"]],
                    entry["topic"],
                    key,
                    entry["outcome"],
                    int(entry["consensus"]),
                    rules.get(key),
                    _number(record["consensus"]),
                    *_metrics(record),
                    change.get("pairs"),
                    change.get("changed"),
                    change.get("median_shift"),
                    change.get("wilcoxon_p"),
                    change.get("net_change"),
                    _number(change.get("stable")),
                    divergence["h"],
                    divergence["p"],
                ]
            )
    return rows


@round_table(
    "group-metrics",
    "The figures of each stakeholder group per statement and criterion; suppressed cells "
    "are marked and left empty.",
    [
        *ROW_KEYS,
        Column("group", "The stakeholder group's key."),
        Column(
            "suppressed",
            "1 where the group is hidden: fewer than k of its members rated it, or "
            "subtraction from the whole panel would reveal fewer than k; its figures are empty.",
        ),
        *_metric_columns(),
    ],
)
def group_metrics(session: Session, survey: Survey, round_: Round) -> Rows:
    """One row per statement, criterion and stakeholder group of the snapshot."""
    _, entries, versions = _entries(session, round_)
    return [
        [
            round_.number,
            entry["key"],
            versions[entry["statement_id"]],
            entry["topic"],
            key,
            group,
            int(record is None),
            *_metrics(record),
        ]
        for entry in entries
        for key, groups in entry["groups"].items()
        for group, record in groups.items()
    ]


@round_table(
    "ratings",
    "The submitted ratings in long format, one row per answer, joined to no panelist.",
    [
        Column(
            "respondent",
            "A code for the respondent in this round only (it differs between rounds and "
            "cannot be joined to a panelist); empty on suppressed rows when a group is shown.",
        ),
        Column(
            "stakeholder_group",
            "The respondent's group where the metrics show it on every statement and "
            "criterion of the round; otherwise “suppressed”.",
        ),
        Column("statement", "The statement's key."),
        Column("criterion", "The criterion's key."),
        Column("rating", "The rating on the criterion's scale; empty for cannot judge."),
        Column("cannot_judge", "1 if the answer was “cannot judge”, else 0."),
    ],
)
def ratings(session: Session, survey: Survey, round_: Round) -> Rows:
    """The rows of the API's ratings CSV."""
    return api.ratings_rows(session, survey, round_.number)


@round_table(
    "reasons",
    "The visible reasons (hidden ones excluded), one row per reason and criterion, "
    "with no respondent code.",
    [
        Column("reason", "Numbers the reasons of this export from 1; it names nobody."),
        Column("statement", "The statement's key."),
        Column("version", "The statement's version."),
        Column("criterion", "The criterion's key."),
        Column("rating", _described(schemas.ReasonRating, "rating")),
        Column("cannot_judge", "1 if the writer answered “cannot judge”, else 0."),
        Column("range_band", _described(schemas.ReasonRating, "range_band")),
        Column("scale_band", _described(schemas.ReasonRating, "scale_band")),
        Column("language", _described(schemas.ReasonOut, "language")),
        Column("moderation", _described(schemas.ReasonOut, "moderation")),
        Column("group", _described(schemas.ReasonOut, "group")),
        Column("text", _described(schemas.ReasonOut, "text")),
    ],
    immutable=False,
)
def reasons(session: Session, survey: Survey, round_: Round) -> Rows:
    """The rows of the API's reasons CSV."""
    return api.reason_rows(session, survey, round_.number)
