"""Turn a closed round's submitted answers into the engine's immutable snapshot."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from app.analysis import closing
from app.models import (
    Criterion,
    Round,
    RoundItem,
    RoundSnapshot,
    Statement,
    Survey,
    Topic,
)
from app.rankings import metrics
from app.rounds import repository
from app.rounds.ratings import RoundRatings, load_ratings
from app.rounds.summaries import summarize

STABILITY_ALPHA = 0.05


def compute(session: Session, survey: Survey, round_: Round) -> RoundSnapshot:
    """Compute the snapshot of a closed round (not yet added to the session)."""
    if not round_.items:
        return _proposals_only(session, survey, round_)
    data = load_ratings(session, survey, round_)
    previous_round = repository.previous(session, round_)
    # Round 0 rated nothing: round 1 is compared with no earlier round.
    previous = (
        load_ratings(session, survey, previous_round)
        if previous_round and previous_round.items
        else None
    )
    threshold = float(survey.stopping.get("stability_threshold", 0.15))
    keys = {
        sid: (key, topic)
        for sid, key, topic in session.execute(
            select(Statement.id, Statement.key, Topic.key)
            .join(RoundItem, RoundItem.statement_id == Statement.id)
            .join(Topic, Topic.id == Statement.topic_id)
            .where(RoundItem.round_id == round_.id)
        )
    }
    per_statement: list[dict[str, Any]] = [
        {
            "statement_id": sid,
            "key": keys[sid][0],
            "topic": keys[sid][1],
            "criteria": {},
            "groups": {},
            "divergence": {},
            "change": {},
        }
        for sid in data.statement_ids
    ]
    criteria_meta = []
    consensus = np.ones(len(data.statement_ids), dtype=bool)
    stable = np.ones(len(data.statement_ids), dtype=bool)
    any_rule = False
    for criterion in survey.criteria:
        matrix = data.ratings[criterion.id]
        summary = summarize(survey, criterion, matrix, data.cannot_judge[criterion.id])
        records = summary.records()
        rule = (
            engine.ConsensusRule.from_dict(criterion.consensus_rule)
            if criterion.consensus_rule
            else None
        )
        passed = engine.evaluate(summary, rule) if rule else None
        if passed is not None:
            any_rule = True
            consensus &= passed
        breakdown = _groups(survey, criterion, matrix, data)
        divergence = _divergence(matrix, data.groups, breakdown)
        change = _change(survey, criterion, rule, data, previous, threshold)
        if change is not None and rule is not None:
            stable &= change[1]
        for j, entry in enumerate(per_statement):
            entry["criteria"][criterion.key] = {
                **records[j],
                "consensus": None if passed is None else bool(passed[j]),
            }
            entry["groups"][criterion.key] = {
                g: recs[j] if recs else None for g, recs in breakdown.items()
            }
            entry["divergence"][criterion.key] = divergence[j]
            if change is not None:
                entry["change"][criterion.key] = change[0][j]
        criteria_meta.append(
            {
                "key": criterion.key,
                "scale": [criterion.scale_low, criterion.scale_high],
                "agree": [criterion.agree_low, criterion.agree_high],
                "disagree": [criterion.disagree_low, criterion.disagree_high],
                "rule": rule.to_dict() if rule else None,
                "rule_text": str(rule) if rule else None,
            }
        )
    if not any_rule:
        consensus[:] = False
    if previous is None or not any_rule:
        stable[:] = False
    for j, entry in enumerate(per_statement):
        entry["consensus"] = bool(consensus[j])
        entry["outcome"] = (
            "consensus" if entry["consensus"] else "stable" if stable[j] else "carried"
        )
    return RoundSnapshot(
        round_id=round_.id,
        engine_version=engine.__version__,
        method={
            **survey.method,
            "stability_threshold": threshold,
            "stability_alpha": STABILITY_ALPHA,
            "min_group_size": survey.min_group_size,
            "criteria": criteria_meta,
        },
        invited=repository.invited_count(session, round_),
        responded=len(data.respondent_ids),
        results={
            "statements": per_statement,
            "analysis": closing.analyse(
                session, survey, round_, data, previous, [e["key"] for e in per_statement]
            ),
            "rankings": metrics.round_metrics(
                _ranking_questions(survey, data.statement_ids, keys),
                data.ranked,
                previous.ranked if previous else None,
                survey.min_group_size,
            ),
        },
    )


def _ranking_questions(
    survey: Survey, statement_ids: list[int], keys: dict[int, tuple[str, str]]
) -> list[metrics.RankingQuestion]:
    """One question per ranking criterion and topic with two statements on the round."""
    order = {t.key: i for i, t in enumerate(survey.topics)}
    by_topic: dict[str, list[int]] = {}
    for sid in statement_ids:
        by_topic.setdefault(keys[sid][1], []).append(sid)
    return [
        metrics.RankingQuestion(
            criterion_id=criterion.id,
            criterion_key=criterion.key,
            top=criterion.rank_top,
            topic_key=topic,
            statement_ids=sids,
            statement_keys=[keys[sid][0] for sid in sids],
        )
        for criterion in survey.rank_criteria
        for topic, sids in sorted(by_topic.items(), key=lambda pair: order.get(pair[0], 0))
        if len(sids) >= 2
    ]


def _proposals_only(session: Session, survey: Survey, round_: Round) -> RoundSnapshot:
    """The snapshot of round 0: who answered, and no statement (nothing was rated)."""
    return RoundSnapshot(
        round_id=round_.id,
        engine_version=engine.__version__,
        method={
            **survey.method,
            "stability_threshold": float(survey.stopping.get("stability_threshold", 0.15)),
            "stability_alpha": STABILITY_ALPHA,
            "min_group_size": survey.min_group_size,
            "criteria": [],
        },
        invited=repository.invited_count(session, round_),
        responded=repository.submitted_count(session, round_),
        results={"statements": []},
    )


def _groups(
    survey: Survey, criterion: Criterion, matrix: np.ndarray, data: RoundRatings
) -> dict[str, list[dict[str, Any] | None] | None]:
    """Per stakeholder group, one record per statement or ``None`` where it is suppressed.

    Suppression is per statement: a group is shown where at least k of its members
    rated the statement and subtraction from the panel total reveals no fewer than k
    (``engine.by_group``). A group shown on no statement is ``None`` as a whole.
    """
    if not data.respondent_ids:
        return {g["key"]: None for g in survey.stakeholder_groups}
    breakdown = engine.by_group(
        matrix,
        engine.Scale(criterion.scale_low, criterion.scale_high),
        np.asarray(data.groups, dtype=object),
        min_size=survey.min_group_size,
        quantile_method=survey.method.get("quantile_method", "weibull"),
        agree=(criterion.agree_low, criterion.agree_high),
        disagree=(criterion.disagree_low, criterion.disagree_high),
        cannot_judge=data.cannot_judge_mask[criterion.id],
        cannot_judge_counts=bool(survey.method.get("cannot_judge_counts", False)),
    )
    result: dict[str, list[dict[str, Any] | None] | None] = {}
    for group in survey.stakeholder_groups:
        records = breakdown.records(group["key"])
        result[group["key"]] = records if any(r is not None for r in records) else None
    return result


def _divergence(
    matrix: np.ndarray,
    groups: list[str],
    breakdown: dict[str, list[dict[str, Any] | None] | None],
) -> list[dict[str, float | None]]:
    """Kruskal-Wallis per statement across the stakeholder groups shown on it.

    Only groups shown on a statement take part there: a group hidden by complementary
    suppression may be large enough on its own, but a test over it would say how it
    differs from the rest. The ratings of the others are left out as missing.
    """
    statements = matrix.shape[1]
    labels = np.asarray(groups, dtype=object)
    shown = np.zeros((len(groups), statements), dtype=bool)
    for group, records in breakdown.items():
        if records is not None:
            shown[labels == group] = [r is not None for r in records]
    if not shown.any():
        return [{"h": None, "p": None} for _ in range(statements)]
    keep = shown.any(axis=1)
    result = engine.group_divergence(np.where(shown, matrix, np.nan)[keep], labels[keep])
    return [{"h": _num(h), "p": _num(p)} for h, p in zip(result.h, result.pvalue, strict=True)]


def _change(
    survey: Survey,
    criterion: Criterion,
    rule: engine.ConsensusRule | None,
    data: RoundRatings,
    previous: RoundRatings | None,
    threshold: float,
) -> tuple[list[dict[str, Any] | None], np.ndarray] | None:
    """Paired change from the previous round and the stopping decision
    (``engine.stopping``) for the statements rated in both."""
    if previous is None:
        return None
    respondents = sorted(set(data.respondent_ids) | set(previous.respondent_ids))
    before = _align(previous, criterion, respondents, data.statement_ids)
    after = _align(data, criterion, respondents, data.statement_ids)
    decision = engine.stopping(
        before,
        after,
        # Without a rule nothing reaches consensus; stability is judged all the same.
        rule or "n < 0",
        scale=engine.Scale(criterion.scale_low, criterion.scale_high),
        alpha=STABILITY_ALPHA,
        stability_threshold=threshold,
        quantile_method=survey.method.get("quantile_method", "weibull"),
        agree=(criterion.agree_low, criterion.agree_high),
        disagree=(criterion.disagree_low, criterion.disagree_high),
        cannot_judge=data.cannot_judge[criterion.id],
        cannot_judge_counts=bool(survey.method.get("cannot_judge_counts", False)),
    )
    change = decision.change
    records: list[dict[str, Any] | None] = []
    stable = np.zeros(len(data.statement_ids), dtype=bool)
    for j, sid in enumerate(data.statement_ids):
        if sid not in previous.statement_ids or change.pairs[j] == 0:
            records.append(None)
            continue
        p = change.pvalue[j]
        stable[j] = bool(decision.stable[j])
        records.append(
            {
                "pairs": int(change.pairs[j]),
                "changed": _num(change.changed[j]),
                "median_shift": _num(change.median_shift[j]),
                "wilcoxon_statistic": _num(change.statistic[j]),
                "wilcoxon_p": _num(p),
                "net_change": _num(change.net_change[j]),
                "stable": bool(stable[j]),
                "stopping": str(decision.status[j]),
            }
        )
    return records, stable


def _align(
    data: RoundRatings, criterion: Criterion, respondents: list[int], statement_ids: list[int]
) -> np.ndarray:
    """``data``'s ratings laid out on ``respondents`` x ``statement_ids`` (NaN elsewhere)."""
    out = np.full((len(respondents), len(statement_ids)), np.nan)
    row_of = {rid: i for i, rid in enumerate(respondents)}
    col_of = {sid: j for j, sid in enumerate(statement_ids)}
    rows = [(row_of[rid], i) for i, rid in enumerate(data.respondent_ids) if rid in row_of]
    cols = [(col_of[sid], j) for j, sid in enumerate(data.statement_ids) if sid in col_of]
    if rows and cols:
        r, c = np.array(rows), np.array(cols)
        source = data.ratings[criterion.id]
        out[np.ix_(r[:, 0], c[:, 0])] = source[np.ix_(r[:, 1], c[:, 1])]
    return out


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value
