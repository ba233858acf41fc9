"""The facilitator's reading of one statement's reasons: every reason, with the rating it
came with, grouped by band per criterion, counted, and filterable by stakeholder group
where that group has at least k raters on the statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.errors import N_, Invalid, N_plural, NotFound
from app.models import Round, Statement, Survey
from app.reasons.bands import BandKind, bands_of
from app.reasons.service import RoundReason, round_reasons, shown_groups, snapshot_or_raise
from app.reasons.strength import Strength, argument_strength


@dataclass(frozen=True)
class BandGroup:
    band: str
    label: str
    reasons: list[RoundReason]

    @property
    def count(self) -> int:
        return len(self.reasons)


@dataclass(frozen=True)
class CriterionBands:
    key: str
    label: str
    bands: list[BandGroup]
    unrated: list[RoundReason]  # "cannot judge" or no rating on this criterion


@dataclass(frozen=True)
class StatementReasons:
    statement: Statement
    kind: BandKind
    group: str | None
    groups: list[tuple[str, str]]  # (key, label) of the groups one may filter by
    criteria: list[CriterionBands]
    total: int
    hidden: int
    strength: dict[int, Strength] | None  # by reason id, once the next round is closed


def statement_reasons(
    session: Session,
    survey: Survey,
    round_: Round,
    statement: Statement,
    *,
    kind: BandKind = "range",
    group: str | None = None,
) -> StatementReasons:
    """Every reason given on ``statement`` in closed ``round_``, hidden ones marked."""
    snapshot = snapshot_or_raise(session, survey, round_)
    entry = next(
        (e for e in snapshot.results["statements"] if e["statement_id"] == statement.id), None
    )
    if entry is None:
        raise NotFound(
            N_("round %(number)s did not rate statement %(label)s"),
            number=round_.number,
            label=statement.label,
        )
    allowed = shown_groups(survey, entry)
    if group is not None and group not in allowed:
        raise Invalid(
            N_plural(
                "group: reasons can be filtered by a stakeholder group only where it has at "
                "least %(size)s rater on the statement; %(group)s has not",
                "group: reasons can be filtered by a stakeholder group only where it has at "
                "least %(size)s raters on the statement; %(group)s has not",
                "size",
            ),
            size=survey.min_group_size,
            group=repr(group),
        )
    reasons = round_reasons(
        session, survey, round_, include_hidden=True, statement_ids=[statement.id]
    )
    if group is not None:
        reasons = [r for r in reasons if r.group == group]
    criteria = []
    for criterion in survey.criteria:
        record = entry["criteria"].get(criterion.key, {})
        bands = []
        for band in bands_of(kind):
            members = [
                r
                for r in reasons
                if (
                    r.ratings[criterion.key].range_band
                    if kind == "range"
                    else r.ratings[criterion.key].scale_band
                )
                == band
            ]
            members.sort(key=lambda r: (r.ratings[criterion.key].rating or 0, r.id))
            bands.append(BandGroup(band, band_label(kind, band, record, criterion), members))
        criteria.append(
            CriterionBands(
                key=criterion.key,
                label=survey.text(criterion.label),
                bands=bands,
                unrated=[r for r in reasons if r.ratings[criterion.key].rating is None],
            )
        )
    strength = argument_strength(session, survey, round_)
    return StatementReasons(
        statement=statement,
        kind=kind,
        group=group,
        groups=[
            (g["key"], survey.group_label(g["key"]))
            for g in survey.stakeholder_groups
            if g["key"] in allowed
        ],
        criteria=criteria,
        total=len(reasons),
        hidden=sum(r.hidden for r in reasons),
        strength={s.reason.id: s for s in strength.reasons} if strength else None,
    )


def band_label(kind: BandKind, band: str, record: dict[str, Any], criterion: Any) -> str:
    """A band's name with its limits: "Below the middle range (under 6.5)"."""
    if kind == "range":
        q1, q3 = _num(record.get("q1")), _num(record.get("q3"))
        return {
            "below": f"Below the middle range (under {q1})",
            "within": f"Within the middle range ({q1} to {q3})",
            "above": f"Above the middle range (over {q3})",
        }[band]
    agree = (criterion.agree_low, criterion.agree_high)
    disagree = (criterion.disagree_low, criterion.disagree_high)
    middle = (disagree[1] + 1, agree[0] - 1)
    return {
        "disagree": f"Disagree ({disagree[0]} to {disagree[1]})",
        "neutral": f"Neutral ({middle[0]} to {middle[1]})" if middle[0] <= middle[1] else "Neutral",
        "agree": f"Agree ({agree[0]} to {agree[1]})",
    }[band]


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}"
