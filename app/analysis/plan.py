"""The pre-registered analysis plan: frozen at the launch of round 1, amended with a reason.

The plan is what the study's conclusions are judged by: each criterion's consensus rule,
the alternative rules of the sensitivity analysis, the stopping rule, the quantile
method, how "cannot judge" counts, k and the number of rounds. Freezing stores it with
the SHA-256 of its canonical JSON; from then on a setting changes only through
:func:`amend`, which records who, when, why and what, and every report lists it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, Say
from app.models import AnalysisPlan, PlanAmendment, Survey

QUANTILE_METHODS = tuple(engine.QUANTILE_METHODS)
MAX_REASON = 2000


def content(survey: Survey) -> dict[str, Any]:
    """The study's current plan settings as plain, canonical data."""
    return {
        "criteria": {
            c.key: {"consensus": str(engine.ConsensusRule.from_dict(c.consensus_rule))}
            if c.consensus_rule
            else {"consensus": None}
            for c in survey.criteria
        },
        "alternative_rules": dict(survey.method.get("alternative_rules", {})),
        "quantile_method": survey.method.get("quantile_method", "weibull"),
        "cannot_judge_counts": bool(survey.method.get("cannot_judge_counts", False)),
        "min_group_size": survey.min_group_size,
        "max_rounds": survey.max_rounds,
        "stability_threshold": float(survey.stopping.get("stability_threshold", 0.15)),
    }


def digest(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of ``data``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(session: Session, survey: Survey) -> AnalysisPlan | None:
    return session.scalar(select(AnalysisPlan).where(AnalysisPlan.survey_id == survey.id))


def freeze(session: Session, survey: Survey, *, actor: str) -> AnalysisPlan:
    """Freeze the plan (once: a later call returns the plan frozen before)."""
    existing = get(session, survey)
    if existing is not None:
        return existing
    data = content(survey)
    plan = AnalysisPlan(
        survey_id=survey.id, content=data, content_hash=digest(data), frozen_by=actor
    )
    session.add(plan)
    session.flush()
    record(session, actor, "plan.freeze", survey.id, {"hash": plan.content_hash})
    return plan


@dataclass(frozen=True)
class Setting:
    """One setting an amendment may change: its dotted name and the value's text."""

    name: str
    value: str


def settable(survey: Survey) -> list[str]:
    """The names of the settings an amendment can change."""
    return [
        *(f"criteria.{c.key}.consensus" for c in survey.criteria),
        "quantile_method",
        "cannot_judge_counts",
        "min_group_size",
        "max_rounds",
        "stability_threshold",
        "alternative_rules.NAME",
    ]


def amend(
    session: Session, survey: Survey, changes: list[Setting], *, reason: str, actor: str
) -> PlanAmendment:
    """Change frozen settings; refused without a reason, before freezing, or with no change.

    A value of ``""`` removes a criterion's rule or an alternative rule.
    """
    plan = get(session, survey)
    if plan is None:
        raise Conflict(
            N_(
                "the analysis plan is frozen when round 1 launches; until then, change the "
                "study file instead"
            )
        )
    reason = reason.strip()
    if not reason:
        raise Invalid(N_("an amendment needs a reason: say why the plan changes"))
    if len(reason) > MAX_REASON:
        raise Invalid(
            N_plural(
                "the reason may be at most %(most)s character",
                "the reason may be at most %(most)s characters",
                "most",
            ),
            most=MAX_REASON,
        )
    if not changes:
        raise Invalid(N_("an amendment needs at least one setting to change"))
    before = content(survey)
    for change in changes:
        _apply(survey, change)
    after = content(survey)
    diff = _diff(before, after)
    if not diff:
        raise Invalid(N_("the amendment changes nothing: every setting already has that value"))
    amendment = PlanAmendment(
        plan=plan, actor=actor, reason=reason, changes=diff, content_hash=digest(after)
    )
    session.add(amendment)
    session.flush()
    record(
        session,
        actor,
        "plan.amend",
        survey.id,
        {"settings": [d["setting"] for d in diff], "hash": amendment.content_hash},
    )
    return amendment


def current_hash(plan: AnalysisPlan) -> str:
    """The hash of the plan as amended (the frozen hash when never amended)."""
    return plan.amendments[-1].content_hash if plan.amendments else plan.content_hash


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    flat_before, flat_after = _flatten(before), _flatten(after)
    return [
        {"setting": name, "before": flat_before.get(name), "after": flat_after.get(name)}
        for name in sorted(set(flat_before) | set(flat_after))
        if flat_before.get(name) != flat_after.get(name)
    ]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _rule_text(name: str, value: str) -> str:
    try:
        return str(engine.ConsensusRule.coerce(value))
    except engine.RuleError as exc:
        raise Invalid(
            N_("%(setting)s: %(problem)s"),
            setting=name,
            problem=Say(exc.template, exc.params),
        ) from None


def _apply(survey: Survey, change: Setting) -> None:
    """Write one setting to the study (validated; the caller's transaction keeps it)."""
    name, value = change.name.strip(), change.value.strip()
    method = copy.deepcopy(survey.method)
    stopping = copy.deepcopy(survey.stopping)
    criteria = {c.key: c for c in survey.criteria}
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "criteria" and parts[2] == "consensus":
        criterion = criteria.get(parts[1])
        if criterion is None:
            raise Invalid(
                N_("%(setting)s: the study has no criterion %(key)r"), setting=name, key=parts[1]
            )
        criterion.consensus_rule = (
            engine.ConsensusRule.coerce(_rule_text(name, value)).to_dict() if value else None
        )
        return
    if len(parts) == 2 and parts[0] == "alternative_rules":
        rules = dict(method.get("alternative_rules", {}))
        if value:
            if parts[1] in engine.consensus.PRESETS or parts[1] == "study":
                raise Invalid(
                    N_("%(setting)s: %(key)r is a preset's name; choose another"),
                    setting=name,
                    key=parts[1],
                )
            rules[parts[1]] = _rule_text(name, value)
        else:
            rules.pop(parts[1], None)
        method["alternative_rules"] = rules
    elif name == "quantile_method":
        if value not in QUANTILE_METHODS:
            raise Invalid(
                N_("%(setting)s: choose one of %(choices)s"),
                setting=name,
                choices=", ".join(QUANTILE_METHODS),
            )
        method["quantile_method"] = value
    elif name == "cannot_judge_counts":
        if value not in ("true", "false"):
            raise Invalid(N_("%(setting)s: true or false"), setting=name)
        method["cannot_judge_counts"] = value == "true"
    elif name in ("min_group_size", "max_rounds"):
        number = _int(name, value, 1, 10_000 if name == "min_group_size" else 20)
        if name == "min_group_size":
            survey.min_group_size = number
        else:
            stopping["max_rounds"] = number
    elif name == "stability_threshold":
        try:
            threshold = float(value)
        except ValueError:
            threshold = -1.0
        if not 0 < threshold < 1:
            raise Invalid(N_("%(setting)s: a number between 0 and 1"), setting=name)
        stopping["stability_threshold"] = threshold
    else:
        raise Invalid(
            N_("%(setting)r is not a setting of the plan; known: %(known)s"),
            setting=name,
            known=", ".join(settable(survey)),
        )
    survey.method = method
    survey.stopping = stopping


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise Invalid(
            N_("%(setting)s: a whole number from %(low)s to %(high)s"),
            setting=name,
            low=low,
            high=high,
        )

    return number
