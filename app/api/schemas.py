"""Response models of the analyst API (they are also its OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is UTC, so say so in the output.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(Schema):
    """The body of every error response."""

    detail: str = Field(examples=["no study with key 'unknown'"])


class Scale(Schema):
    low: int
    high: int


class Rule(Schema):
    """A consensus rule, as data (``definition``) and as the expression it parses from."""

    definition: dict[str, Any]
    text: str


class CriterionInfo(Schema):
    key: str
    label: str
    scale: Scale
    agree: tuple[int, int] = Field(description="Scale points counted as agreement.")
    disagree: tuple[int, int] = Field(description="Scale points counted as disagreement.")
    consensus_rule: Rule | None


class StakeholderGroup(Schema):
    key: str
    label: str


class Study(Schema):
    key: str
    title: str = Field(description="In the study's default (first) language.")
    languages: list[str]
    state: Literal["active", "finished"]
    criteria: list[CriterionInfo]
    stakeholder_groups: list[StakeholderGroup]
    min_group_size: int = Field(
        description=(
            "k: a stakeholder group's figures on a statement and criterion are shown only "
            "where at least k of its members rated it, and only if the panel minus every "
            "shown group is nobody or at least k raters."
        )
    )
    rounds: int = Field(description="Number of rounds launched so far.")


class Round(Schema):
    number: int
    state: Literal["draft", "open", "closed"]
    opened_at: UtcDatetime | None
    closed_at: UtcDatetime | None
    deadline: UtcDatetime | None
    statements: int
    invited: int
    submitted: int
    response_rate: float = Field(ge=0, le=1, description="submitted / invited")


class Summary(Schema):
    """Every field of the engine's summary of one statement on one criterion.

    The field set mirrors ``engine.Summary.records()``; NaN (undefined) is ``null``.
    """

    n: int = Field(description="Ratings on the scale (cannot-judge answers excluded).")
    cannot_judge: int
    counts: list[int] = Field(description="Ratings per scale point, lowest point first.")
    mean: float | None
    sd: float | None
    cv: float | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    mad: float | None
    agree: float | None = Field(description="Share of ratings in the agree band.")
    disagree: float | None = Field(description="Share of ratings in the disagree band.")
    tastle_wierman: float | None
    van_der_eijk: float | None
    leik: float | None
    bimodality: float | None
    p30: float | None
    p70: float | None
    ipr: float | None
    iprcp: float | None
    ai: float | None
    ipras: float | None
    di: float | None
    rand_ucla_class: str | None


class GroupSummary(Summary):
    suppressed: Literal[False] = False


class SuppressedGroup(Schema):
    """A group hidden on this statement and criterion: fewer than ``min_group_size`` of
    its members rated it ("cannot judge" does not count), or it is hidden so that
    subtraction from the whole panel cannot reveal fewer raters than that. A group can
    be shown on one statement and hidden on another."""

    suppressed: Literal[True] = True


class PairedChange(Schema):
    """Change from the previous round among respondents who rated the statement in both."""

    pairs: int
    changed: float | None = Field(description="Share of pairs whose rating moved.")
    median_shift: float | None
    wilcoxon_statistic: float | None
    wilcoxon_p: float | None
    net_change: float | None
    stable: bool


class Divergence(Schema):
    """Kruskal-Wallis test across the stakeholder groups shown on this statement."""

    h: float | None
    p: float | None


class CriterionMetrics(Summary):
    consensus: bool | None = Field(description="Whether the rule holds; null without a rule.")
    rule: Rule | None
    change: PairedChange | None = Field(description="Null in round 1 or without pairs.")
    groups: dict[str, GroupSummary | SuppressedGroup] = Field(
        description="Per stakeholder group: its figures here, or suppressed on this cell."
    )
    divergence: Divergence


class StatementMetrics(Schema):
    key: str
    topic: str
    text: str = Field(description="In the study's default language.")
    consensus: bool = Field(description="Every criterion with a rule reached consensus.")
    outcome: Literal["consensus", "carried", "stable"] = Field(
        description="consensus; carried to the next round; or stable without consensus (dropped)."
    )
    criteria: dict[str, CriterionMetrics]


class CriterionMethod(Schema):
    key: str
    scale: Scale
    agree: tuple[int, int]
    disagree: tuple[int, int]
    rule: Rule | None


class Method(Schema):
    """The method settings the snapshot was computed with."""

    quantile_method: str
    cannot_judge_counts: bool
    stability_threshold: float
    stability_alpha: float = Field(description="Wilcoxon level below which a change counts.")
    min_group_size: int
    criteria: list[CriterionMethod]


class RoundMetrics(Schema):
    study: str
    round: int
    engine_version: str
    computed_at: UtcDatetime
    method: Method
    invited: int
    responded: int
    statements: list[StatementMetrics]
