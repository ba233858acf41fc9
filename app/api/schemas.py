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

    detail: str = Field(
        description="What went wrong, in words.", examples=["no study with key 'unknown'"]
    )


class Scale(Schema):
    """A criterion's rating scale: every integer from ``low`` to ``high``."""

    low: int = Field(description="The lowest scale point.")
    high: int = Field(description="The highest scale point.")


class Rule(Schema):
    """A consensus rule, as data (``definition``) and as the expression it parses from."""

    definition: dict[str, Any] = Field(
        description="The rule as a tree of comparisons joined by and/or (the stored form)."
    )
    text: str = Field(description="The rule as an expression, e.g. “median >= 7 and agree >= 0.7”.")


AGREE_BAND = (
    "The agree band as an inclusive range [from, to] of scale points: a rating counts as "
    "agreement when from <= rating <= to."
)
DISAGREE_BAND = (
    "The disagree band as an inclusive range [from, to] of scale points: a rating counts as "
    "disagreement when from <= rating <= to."
)


class CriterionInfo(Schema):
    """A criterion every statement is rated on (e.g. importance, feasibility), or ranked by."""

    key: str = Field(description="The criterion's key, as in the metrics and exports.")
    kind: Literal["rating", "rank"] = Field(
        description=(
            "rating: each statement on the scale; rank: the statements of each topic put "
            "in order (positions 1..N in ``scale``)."
        )
    )
    label: str = Field(description="Its label in the study's default language.")
    scale: Scale = Field(description="Its rating scale (positions 1..N for a ranking).")
    top: int | None = Field(
        default=None, description="A ranking of the top N only (rank); null: all of them."
    )
    agree: tuple[int, int] | None = Field(description=AGREE_BAND + " Null for a ranking.")
    disagree: tuple[int, int] | None = Field(description=DISAGREE_BAND + " Null for a ranking.")
    consensus_rule: Rule | None = Field(
        description="The consensus rule of the criterion; null when it has none."
    )


class StakeholderGroup(Schema):
    """A stakeholder group of the panel."""

    key: str = Field(description="The group's key, as in the metrics and exports.")
    label: str = Field(description="Its label in the study's default language.")


class Study(Schema):
    """A Delphi study."""

    key: str = Field(description="The study's key, used in every path under it.")
    title: str = Field(description="In the study's default (first) language.")
    languages: list[str] = Field(description="Its languages, the default one first.")
    state: Literal["active", "finished"] = Field(
        description="finished once a facilitator has ended the study: no round launches again."
    )
    mode: Literal["rounds", "realtime"] = Field(
        default="rounds",
        description=(
            "rounds: the classic Delphi. realtime: one open period; its checkpoints are "
            "listed as closed rounds, the live period as the open round after them."
        ),
    )
    criteria: list[CriterionInfo] = Field(description="The criteria, in questionnaire order.")
    stakeholder_groups: list[StakeholderGroup] = Field(description="The panel's groups.")
    min_group_size: int = Field(
        description=(
            "k: a stakeholder group's figures on a statement and criterion are shown only "
            "where at least k of its members rated it, and only if the panel minus every "
            "shown group is nobody or at least k raters."
        )
    )
    rounds: int = Field(description="Number of rounds launched so far.")


class Round(Schema):
    """A round of a study."""

    number: int = Field(description="The round number, from 1 (0: a round of proposals).")
    state: Literal["draft", "open", "closed"] = Field(
        description="open while panelists answer; closed once its results are computed."
    )
    opened_at: UtcDatetime | None = Field(description="When it was launched (UTC).")
    closed_at: UtcDatetime | None = Field(description="When it was closed (UTC); null if open.")
    deadline: UtcDatetime | None = Field(description="When it closes by itself; null: none.")
    statements: int = Field(description="Statements on the round.")
    invited: int = Field(description="Panelists invited (0 for a round answered elsewhere).")
    submitted: int = Field(description="Respondents who submitted their answers.")
    response_rate: float = Field(ge=0, le=1, description="submitted / invited")


class Summary(Schema):
    """Every field of the engine's summary of one statement on one criterion.

    The field set mirrors ``engine.Summary.records()``; NaN (undefined) is ``null``.
    """

    n: int = Field(description="Ratings on the scale (cannot-judge answers excluded).")
    cannot_judge: int = Field(description="Answers “cannot judge”.")
    counts: list[int] = Field(description="Ratings per scale point, lowest point first.")
    mean: float | None = Field(description="Mean rating.")
    sd: float | None = Field(description="Sample standard deviation of the ratings (n - 1).")
    cv: float | None = Field(description="Coefficient of variation: sd / mean.")
    median: float | None = Field(description="Median rating (the study's quantile method).")
    q1: float | None = Field(description="First quartile (the study's quantile method).")
    q3: float | None = Field(description="Third quartile (the study's quantile method).")
    iqr: float | None = Field(description="Interquartile range: q3 - q1.")
    mad: float | None = Field(description="Median absolute deviation from the median.")
    agree: float | None = Field(
        description="Share of ratings in the agree band (with cannot-judge answers in the "
        "denominator where the method counts them)."
    )
    disagree: float | None = Field(
        description="Share of ratings in the disagree band (denominator as for agree)."
    )
    tastle_wierman: float | None = Field(
        description="Tastle & Wierman (2007) consensus, 0 (split) to 1 (all on one point)."
    )
    van_der_eijk: float | None = Field(
        description="Van der Eijk (2001) agreement A, -1 (polarised) to 1 (unanimous)."
    )
    leik: float | None = Field(description="Leik (1966) ordinal dispersion, 0 to 1.")
    bimodality: float | None = Field(
        description="Sample bimodality coefficient; above 5/9 suggests two camps."
    )
    p30: float | None = Field(description="30th percentile (RAND/UCLA).")
    p70: float | None = Field(description="70th percentile (RAND/UCLA).")
    ipr: float | None = Field(description="RAND/UCLA interpercentile range: p70 - p30.")
    iprcp: float | None = Field(description="Central point of the IPR: (p30 + p70) / 2.")
    ai: float | None = Field(description="RAND/UCLA asymmetry index: |midpoint - iprcp|.")
    ipras: float | None = Field(
        description="IPR adjusted for symmetry: 2.35 + 1.5 ai (rescaled from a 1-9 scale)."
    )
    di: float | None = Field(
        description="RAND/UCLA disagreement index ipr / ipras; above 1 the panel disagrees."
    )
    rand_ucla_class: str | None = Field(
        description="appropriate, uncertain or inappropriate (RAND/UCLA); empty without ratings."
    )


class GroupSummary(Summary):
    """One stakeholder group's figures on a statement and criterion."""

    suppressed: Literal[False] = Field(default=False, description="Always false: shown.")


class SuppressedGroup(Schema):
    """A group hidden on this statement and criterion: fewer than ``min_group_size`` of
    its members rated it ("cannot judge" does not count), or it is hidden so that
    subtraction from the whole panel cannot reveal fewer raters than that. A group can
    be shown on one statement and hidden on another."""

    suppressed: Literal[True] = Field(default=True, description="Always true: hidden.")


class PairedChange(Schema):
    """Change from the previous round among respondents who rated the statement in both."""

    pairs: int = Field(description="Respondents who rated it in both rounds.")
    changed: float | None = Field(description="Share of pairs whose rating moved.")
    median_shift: float | None = Field(description="Median of this round minus the last one's.")
    wilcoxon_statistic: float | None = Field(
        description="Wilcoxon signed-rank statistic of the paired ratings."
    )
    wilcoxon_p: float | None = Field(description="Its two-sided p-value.")
    net_change: float | None = Field(
        description="Share of the ratings that moved between scale points, net of moves "
        "that cancel out (the stability measure)."
    )
    stable: bool = Field(
        description="net_change below the stability threshold and no significant change."
    )


class Divergence(Schema):
    """Kruskal-Wallis test across the stakeholder groups shown on this statement."""

    h: float | None = Field(description="Kruskal-Wallis H; null with fewer than two groups.")
    p: float | None = Field(description="Its p-value.")


class CriterionMetrics(Summary):
    """The panel's figures on one statement and criterion."""

    consensus: bool | None = Field(description="Whether the rule holds; null without a rule.")
    rule: Rule | None = Field(description="The rule applied; null without one.")
    change: PairedChange | None = Field(description="Null in round 1 or without pairs.")
    groups: dict[str, GroupSummary | SuppressedGroup] = Field(
        description="Per stakeholder group: its figures here, or suppressed on this cell."
    )
    divergence: Divergence = Field(description="How far the shown groups differ.")


class StatementMetrics(Schema):
    """One statement of a closed round with its figures per criterion."""

    key: str = Field(description="The statement's key.")
    topic: str = Field(description="The topic's key.")
    text: str = Field(description="In the study's default language.")
    consensus: bool = Field(description="Every criterion with a rule reached consensus.")
    outcome: Literal["consensus", "carried", "stable"] = Field(
        description="consensus; carried to the next round; or stable without consensus (dropped)."
    )
    criteria: dict[str, CriterionMetrics] = Field(description="By criterion key.")


class CriterionMethod(Schema):
    """A criterion's settings as the snapshot applied them."""

    key: str = Field(description="The criterion's key.")
    scale: Scale = Field(description="Its rating scale.")
    agree: tuple[int, int] = Field(description=AGREE_BAND)
    disagree: tuple[int, int] = Field(description=DISAGREE_BAND)
    rule: Rule | None = Field(description="Its consensus rule; null without one.")


class Method(Schema):
    """The method settings the snapshot was computed with."""

    quantile_method: str = Field(
        description="numpy's quantile method name for medians and quartiles "
        "(weibull = R type 6, linear = R type 7)."
    )
    cannot_judge_counts: bool = Field(
        description="Whether cannot-judge answers join the denominator of agree and disagree."
    )
    stability_threshold: float = Field(
        description="net_change below which a statement's ratings count as stable."
    )
    stability_alpha: float = Field(description="Wilcoxon level below which a change counts.")
    min_group_size: int = Field(description="k: groups with fewer raters are suppressed.")
    criteria: list[CriterionMethod] = Field(description="Per criterion.")


class RankedStatement(Schema):
    """One statement's place in a ranking question."""

    statement_id: int = Field(description="The id of the statement version ranked.")
    key: str = Field(description="The statement's key.")
    mean_rank: float | None = Field(
        description="Mean rank, 1 the top; a statement left out of a top N counts as tied "
        "below the placed ones."
    )
    distribution: list[int] = Field(description="Rankers per position, position 1 first.")
    unplaced: int = Field(description="Rankers who left it out of their top N.")


class RankingChange(Schema):
    """Change from the previous round, on the statements of the topic ranked in both."""

    statements: int = Field(description="Statements of the topic ranked in both rounds.")
    w_before: float | None = Field(description="Kendall's W of the previous round on them.")
    w_after: float | None = Field(description="Kendall's W of this round on them.")
    w_change: float | None = Field(description="Positive: the panel's orders converged.")
    panelists: int = Field(description="Panelists who ranked in both rounds.")
    spearman_q1: float | None = Field(description="Lower quartile of those rhos.")
    spearman_median: float | None = Field(
        description="Median of each panelist's Spearman rho with their own previous ranking "
        "(stability); null when fewer than min_group_size ranked in both rounds."
    )
    spearman_q3: float | None = Field(description="Upper quartile of those rhos.")
    spearman_mean: float | None = Field(description="Mean of those rhos.")


class RankingMetrics(Schema):
    """One ranking question: a ranking criterion over the statements of one topic."""

    criterion: str = Field(description="The ranking criterion's key.")
    topic: str = Field(description="The key of the topic whose statements are ranked.")
    top: int | None = Field(description="N of a top-N ranking; null: every statement.")
    places: int = Field(description="Positions given: the topic's statements, or the top N.")
    rankers: int = Field(description="Respondents who gave a ranking.")
    w: float | None = Field(description="Kendall's W, corrected for ties.")
    chi2: float | None = Field(description="Friedman's chi-square, m (n - 1) W.")
    df: int = Field(description="Degrees of freedom of the chi-square, n - 1.")
    p: float | None = Field(description="p-value of the chi-square.")
    statements: list[RankedStatement] = Field(description="In the topic's order.")
    change: RankingChange | None = Field(description="Null in round 1.")


class RoundMetrics(Schema):
    """A closed round's stored results (its snapshot)."""

    study: str = Field(description="The study's key.")
    round: int = Field(description="The round number.")
    engine_version: str = Field(description="The engine version that computed it.")
    computed_at: UtcDatetime = Field(description="When it was computed (UTC).")
    method: Method = Field(description="The method settings it was computed with.")
    invited: int = Field(description="Panelists invited (0 for a round answered elsewhere).")
    responded: int = Field(description="Respondents whose submitted answers it counts.")
    statements: list[StatementMetrics] = Field(description="In round order.")
    rankings: list[RankingMetrics] = Field(
        default_factory=list,
        description="The round's ranking questions, one per criterion and topic.",
    )


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
    """A closed round's visible reasons and their summaries."""

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
    """A statement version."""

    key: str = Field(description="The statement's key.")
    version: int = Field(description="Its version.")


class StatementRound(Schema):
    """A round a statement version was on."""

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
