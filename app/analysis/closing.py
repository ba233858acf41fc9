"""The analyses computed when a round closes, as plain data for its snapshot.

Every figure follows the study's small-group rule: nothing here describes fewer than
``k`` raters (opinion groups below ``k`` are counted, not described; an attrition test
needs ``k`` dropouts and ``k`` stayers on a statement; flow counts of a stakeholder group
are held back as on the progress page).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine
from app.models import (
    AccessLink,
    Criterion,
    Panelist,
    Respondent,
    Round,
    Statement,
    Submission,
    Survey,
)
from app.rounds import summaries
from app.rounds.progress import held_back
from app.rounds.ratings import RoundRatings

#: Seed of the opinion-group clustering: the same ratings always give the same groups.
OPINION_SEED = 20240101
#: Attrition is flagged where the Mann-Whitney test is significant at this level and the
#: rank-biserial effect is at least medium (engine.attrition's defaults).
ATTRITION_ALPHA = 0.05
ATTRITION_MIN_EFFECT = 0.3
MEDIAN_CONFIDENCE = 0.95


def analyse(
    session: Session,
    survey: Survey,
    round_: Round,
    data: RoundRatings,
    previous: RoundRatings | None,
    keys: list[str],
) -> dict[str, Any]:
    """Sensitivity, opinion groups, agreement, attrition and flow of one closed round.

    ``keys`` are the statement keys in the column order of ``data``.
    """
    return {
        "sensitivity": [sensitivity(survey, c, data, keys) for c in survey.criteria],
        "opinion_groups": opinion_groups(survey, data, keys),
        "agreement": [agreement(c, data) for c in survey.criteria],
        "attrition": attrition(survey, data, previous, _labels(session, previous)),
        "flow": flow(session, survey, round_, data, previous),
    }


def _labels(session: Session, data: RoundRatings | None) -> dict[int, str]:
    """Statement id -> label (key, and version from the second) of ``data``'s columns."""
    if data is None:
        return {}
    return {
        s.id: s.label
        for s in session.scalars(select(Statement).where(Statement.id.in_(data.statement_ids)))
    }


def _num(value: Any, digits: int | None = None) -> float | None:
    number = float(value)
    if math.isnan(number):
        return None
    return round(number, digits) if digits is not None else number


def _rule(criterion: Criterion) -> engine.ConsensusRule | None:
    if not criterion.consensus_rule:
        return None
    return engine.ConsensusRule.from_dict(criterion.consensus_rule)


def sensitivity(
    survey: Survey, criterion: Criterion, data: RoundRatings, keys: list[str]
) -> dict[str, Any]:
    """The verdict per statement under the criterion's rule, each preset and alternative."""
    summary = summaries.summarize(
        survey, criterion, data.ratings[criterion.id], data.cannot_judge[criterion.id]
    )
    result = engine.consensus_sensitivity(
        summary, _rule(criterion), alternatives=dict(survey.method.get("alternative_rules", {}))
    )
    return {
        "criterion": criterion.key,
        "rules": [
            {"name": name, "text": str(rule)}
            for name, rule in zip(result.names, result.rules, strict=True)
        ],
        "verdicts": {
            name: [bool(v) for v in row]
            for name, row in zip(result.names, result.verdicts, strict=True)
        },
        "robust": [bool(v) for v in result.robust],
        "share": [float(v) for v in result.share],
        "flips": [keys[j] for j in result.flips],
    }


def _primary(survey: Survey) -> Criterion:
    """The criterion opinion groups are found on: the first with a consensus rule."""
    return next((c for c in survey.criteria if c.consensus_rule), survey.criteria[0])


def _canonical(matrix: np.ndarray) -> np.ndarray:
    """Rows sorted by their answers. Rows come ordered by respondent id, which is random,
    and seeded k-means depends on row order: sorted, the same answers give the same groups.

    Each row's bytes are one sort key (a byte order, not a numeric one: any fixed order
    will do; every NaN has the same bits), a few ms for 10,000 x 500 where a lexsort by
    columns took 0.3 s. Rows equal here may differ in which cells were "cannot judge", but
    equal rows get the same group, so their order changes nothing.
    """
    if matrix.size == 0:
        return np.arange(matrix.shape[0])
    rows = np.ascontiguousarray(matrix, dtype=np.float64)
    keys = rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel()
    return np.argsort(keys, kind="stable")


def opinion_groups(survey: Survey, data: RoundRatings, keys: list[str]) -> dict[str, Any]:
    """Groups of respondents who rate alike (PCA + k-means, seeded), described for a report.

    The map's dots carry no respondent: they are sorted by group and position, so their
    order says nothing about who is who. A group below ``k`` is counted among the dots
    but neither sized nor described, nor coloured on the map.
    """
    criterion = _primary(survey)
    k = survey.min_group_size
    order = _canonical(data.ratings[criterion.id])
    matrix = data.ratings[criterion.id][order]
    cannot_judge = data.cannot_judge_mask[criterion.id][order]
    base: dict[str, Any] = {"criterion": criterion.key, "seed": OPINION_SEED, "min_size": k}
    if matrix.shape[0] < max(2 * k, 4) or matrix.shape[1] < 2:
        return {**base, "computed": False}
    found = engine.opinion_groups(matrix, seed=OPINION_SEED)
    rule = _rule(criterion)
    profiles = engine.describe_opinion_groups(
        matrix,
        found.labels,
        summaries.scale(criterion),
        rule or "agreement-75",
        min_size=k,
        cannot_judge=cannot_judge,
        **summaries.options(survey, criterion),
    )
    described = {int(g): bool(d) for g, d in zip(profiles.groups, profiles.described, strict=True)}
    groups = []
    for i, group in enumerate(profiles.groups):
        if not described[int(group)]:
            continue
        groups.append(
            {
                "number": int(group) + 1,
                "size": int(profiles.sizes[i]),
                "distinguishing": [
                    {
                        "key": keys[j],
                        "median": _num(profiles.median[i, j]),
                        "rest_median": _num(profiles.rest_median[i, j]),
                        "difference": _num(profiles.difference[i, j]),
                    }
                    for j in profiles.distinguishing[group]
                ],
            }
        )
    points = [
        (
            int(label) + 1 if described[int(label)] else None,
            round(float(x), 3),
            round(float(y), 3),
        )
        for label, (x, y) in zip(found.labels, found.coordinates, strict=True)
    ]
    points.sort(key=lambda p: (p[0] is None, p[0] or 0, p[1], p[2]))
    return {
        **base,
        "computed": True,
        "k": int(found.k),
        "silhouette": _num(found.silhouette, 4),
        "explained_variance": [round(float(v), 4) for v in found.explained_variance[:2]],
        "respondents": int(matrix.shape[0]),
        "groups": groups,
        "undescribed": int(sum(1 for d in described.values() if not d)),
        "points": [{"group": g, "x": x, "y": y} for g, x, y in points],
        "rule": str(rule) if rule else None,
        "agreed": [keys[j] for j in np.flatnonzero(profiles.agreed)] if rule else [],
    }


def agreement(criterion: Criterion, data: RoundRatings) -> dict[str, Any]:
    """Kendall's W, Krippendorff's alpha (ordinal) and each statement's median CI."""
    matrix = data.ratings[criterion.id]
    out: dict[str, Any] = {"criterion": criterion.key, "kendall_w": None, "alpha": None}
    if matrix.shape[0] >= 2 and matrix.shape[1] >= 2:
        w = engine.kendalls_w(matrix)
        # W ranks the statements within each rater: it needs raters who rated them all.
        if w.raters >= 2:
            out["kendall_w"] = {
                "w": _num(w.w),
                "chi2": _num(w.chi2),
                "df": int(w.df),
                "p": _num(w.pvalue),
                "raters": int(w.raters),
                "dropped": int(w.dropped),
            }
        alpha = engine.krippendorff_alpha(matrix, "ordinal")
        out["alpha"] = {"alpha": _num(alpha.alpha), "level": alpha.level, "units": alpha.units}
    if matrix.shape[0] == 0:
        out["median_ci"] = [{"low": None, "high": None, "coverage": None}] * matrix.shape[1]
    else:
        ci = engine.median_ci(matrix, MEDIAN_CONFIDENCE)
        out["median_ci"] = [
            {"low": _num(lo), "high": _num(hi), "coverage": _num(cov, 4)}
            for lo, hi, cov in zip(ci.low, ci.high, ci.coverage, strict=True)
        ]
    out["confidence"] = MEDIAN_CONFIDENCE
    return out


def attrition(
    survey: Survey, data: RoundRatings, previous: RoundRatings | None, labels: dict[int, str]
) -> dict[str, Any] | None:
    """The previous round's ratings of those who dropped out against those who stayed."""
    if previous is None or not previous.respondent_ids:
        return None
    k = survey.min_group_size
    current = set(data.respondent_ids)
    stayed = np.array([rid in current for rid in previous.respondent_ids], dtype=bool)
    dropped, kept = int((~stayed).sum()), int(stayed.sum())
    result: dict[str, Any] = {
        "dropped": dropped,
        "stayed": kept,
        "alpha": ATTRITION_ALPHA,
        "min_effect": ATTRITION_MIN_EFFECT,
        "criteria": [],
    }
    if dropped < k or kept < k:
        return result  # a comparison would describe fewer than k raters
    for criterion in survey.criteria:
        test = engine.attrition(
            previous.ratings[criterion.id],
            stayed,
            alpha=ATTRITION_ALPHA,
            min_effect=ATTRITION_MIN_EFFECT,
        )
        rows = []
        for j, sid in enumerate(previous.statement_ids):
            if test.test.n_a[j] < k or test.test.n_b[j] < k:
                continue
            rows.append(
                {
                    "key": labels.get(sid, str(sid)),
                    "n_dropped": int(test.test.n_a[j]),
                    "n_stayed": int(test.test.n_b[j]),
                    "median_dropped": _num(test.test.median_a[j]),
                    "median_stayed": _num(test.test.median_b[j]),
                    "u": _num(test.test.u[j]),
                    "p": _num(test.test.pvalue[j]),
                    "effect": _num(test.test.effect[j]),
                    "flagged": bool(test.flagged[j]),
                }
            )
        result["criteria"].append({"criterion": criterion.key, "statements": rows})
    return result


def flow(
    session: Session,
    survey: Survey,
    round_: Round,
    data: RoundRatings,
    previous: RoundRatings | None,
) -> list[dict[str, Any]]:
    """Invited, started, submitted and dropped per stakeholder group (held back below k).

    ``dropped``: submitted the previous round, not this one.
    """
    invited = dict(
        session.execute(
            select(Panelist.stakeholder_group, func.count(func.distinct(Panelist.id)))
            .join(AccessLink, AccessLink.panelist_id == Panelist.id)
            .where(AccessLink.round_id == round_.id)
            .group_by(Panelist.stakeholder_group)
        ).all()
    )
    started = dict(
        session.execute(
            select(Respondent.stakeholder_group, func.count())
            .join(Submission, Submission.respondent_id == Respondent.id)
            .where(Submission.round_id == round_.id)
            .group_by(Respondent.stakeholder_group)
        ).all()
    )
    submitted: dict[str, int] = {}
    for group in data.groups:
        submitted[group] = submitted.get(group, 0) + 1
    dropped: dict[str, int] = {}
    if previous is not None:
        now = set(data.respondent_ids)
        for rid, group in zip(previous.respondent_ids, previous.groups, strict=True):
            if rid not in now:
                dropped[group] = dropped.get(group, 0) + 1
    keys = [str(g["key"]) for g in survey.stakeholder_groups]
    sizes = {g: int(invited.get(g, 0)) for g in keys}
    hidden = held_back(sizes, survey.min_group_size)
    rows = []
    for g in keys:
        shown = g not in hidden
        rows.append(
            {
                "group": g,
                "invited": sizes[g] if shown else None,
                "started": int(started.get(g, 0)) if shown else None,
                "submitted": submitted.get(g, 0) if shown else None,
                "dropped": (dropped.get(g, 0) if previous is not None else None) if shown else None,
            }
        )
    rows.append(
        {
            "group": None,
            "invited": sum(sizes.values()),
            "started": int(sum(started.values())),
            "submitted": len(data.respondent_ids),
            "dropped": sum(dropped.values()) if previous is not None else None,
        }
    )
    return rows
