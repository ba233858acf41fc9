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
    mode: Literal["rounds", "realtime"] = Field(
        description=(
            "rounds: the classic Delphi. realtime: one open period; its checkpoints are "
            "listed as closed rounds, the live period as the open round after them."
        )
    )
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


class ReasonRating(Schema):
    """The rating a reason came with on one criterion, and where it falls."""

    rating: int | None = Field(description="The writer's rating; null for cannot judge.")
    cannot_judge: bool = Field(description="The writer answered “cannot judge”.")
    range_band: Literal["below", "within", "above"] | None = Field(
        description="Against the round's quartiles: below Q1, from Q1 to Q3, above Q3."
    )
    scale_band: Literal["disagree", "neutral", "agree"] | None = Field(
        description="In the criterion's disagree band, its agree band, or between them."
    )


class ReasonOut(Schema):
    """A submitted reason: never with its writer, so reasons cannot be joined to each other."""

    statement: str = Field(description="The statement's key.")
    version: int = Field(description="The statement's version (a reword makes a new one).")
    text: str = Field(description="The reason as written.")
    language: str | None = Field(description="The language of the page it was written on.")
    moderation: Literal["visible"] = Field(
        description="Always visible: hidden reasons never leave through the API."
    )
    group: str | None = Field(
        description="The writer's stakeholder group, only where that group has at least "
        "min_group_size raters on the statement; null otherwise."
    )
    criteria: dict[str, ReasonRating] = Field(description="By criterion key.")


class BandSummaryOut(Schema):
    """An extractive summary of the reasons in one band of one criterion."""

    statement: str = Field(description="The statement's key.")
    version: int = Field(description="The statement's version.")
    criterion: str = Field(description="The criterion's key.")
    kind: Literal["range", "scale"] = Field(
        description="range: bands of the round's middle range; scale: the criterion's bands."
    )
    band: str = Field(description="below/within/above, or disagree/neutral/agree.")
    count: int = Field(description="Visible reasons in the band.")
    representative: list[str] = Field(
        description="The most representative reasons, near-duplicates merged, best first."
    )
    key_terms: list[str] = Field(description="The terms that weigh most (TF-IDF).")


class RoundReasons(Schema):
    study: str = Field(description="The study's key.")
    round: int = Field(description="The round number.")
    min_group_size: int = Field(description="Groups with fewer raters are never named.")
    hidden: int = Field(description="Reasons hidden by moderation, left out here.")
    reasons: list[ReasonOut] = Field(description="Every visible reason, in round order.")
    summaries: list[BandSummaryOut] = Field(description="Per statement, criterion and band.")


class ProposalOut(Schema):
    """A statement proposed by a panelist, stored with no link to them."""

    topic: str = Field(description="The topic's key.")
    round: int = Field(description="The round it was proposed in (0: a round of proposals).")
    text: str = Field(description="The proposal as written.")
    language: str = Field(description="The language of the page it was written on.")
    state: Literal["pending", "accepted", "merged", "rejected"] = Field(
        description="The facilitator's decision, or pending."
    )
    statement: str | None = Field(description="Key of the statement it became or was merged into.")
    statement_version: int | None = Field(description="That statement's version.")
    decision_note: str | None = Field(description="Why it was rejected.")


class StatementRef(Schema):
    key: str = Field(description="The statement's key.")
    version: int = Field(description="Its version.")


class StatementRound(Schema):
    number: int = Field(description="A round that had this version on it.")
    outcome: Literal["consensus", "carried", "stable"] | None = Field(
        description="The version's outcome in that round; null until it has results."
    )


class StatementOut(Schema):
    """One version of a statement with its provenance."""

    key: str = Field(description="Stable across versions: a reword keeps the key.")
    version: int = Field(description="1 for the first wording, then one more per reword.")
    topic: str = Field(description="The topic's key.")
    text: dict[str, str] = Field(description="The wording per language.")
    origin: Literal["seeded", "proposed", "reworded", "split", "merged", "added"] = Field(
        description="seeded from the study file, proposed by the panel, reworded, split, "
        "merged, or added by a facilitator."
    )
    state: Literal["active", "consensus", "dropped", "superseded"] = Field(
        description="superseded: replaced by a newer version, split or merge."
    )
    drop_reason: str | None = Field(description="Why a facilitator dropped it.")
    parents: list[StatementRef] = Field(description="The versions it was made from.")
    children: list[StatementRef] = Field(description="The versions made from it.")
    rounds: list[StatementRound] = Field(description="The rounds that had this version.")
    missing_languages: list[str] = Field(
        description="Study languages its text lacks (a changed statement must have all)."
    )
