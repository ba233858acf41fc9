"""Response models of the study-wide analyses (they are also their OpenAPI schema).

They describe the data :mod:`app.analysis.study` reads back from the snapshots, as it is:
a field missing from a snapshot (an opinion-group result that was not computed) stays
missing, so the routes serve these with ``response_model_exclude_unset``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas import Schema

Outcome = Literal["consensus", "carried", "stable"]


class TrajectoryPoint(Schema):
    """A statement's figures on one criterion in one closed round."""

    round: int = Field(description="The round the figures are from.")
    statement_id: int = Field(description="The id of the statement version rated in that round.")
    n: int = Field(description="Raters of the statement on this criterion in that round.")
    median: float | None = Field(description="The median rating; null without ratings.")
    q1: float | None = Field(description="The lower quartile (the study's quantile method).")
    q3: float | None = Field(description="The upper quartile (the study's quantile method).")
    iqr: float | None = Field(description="The interquartile range, q3 - q1.")
    agree: float | None = Field(description="The share of ratings inside the agree band.")
    consensus: bool | None = Field(description="Whether the rule held; null without a rule.")
    net_change: float | None = Field(
        description="Net share of ratings that moved since the round before; null in the "
        "first round the statement was rated or without pairs."
    )
    stable: bool | None = Field(
        description="The ratings held still since the round before (net change below the "
        "threshold, no significant Wilcoxon change); null as for net_change."
    )
    stopping: Literal["consensus", "stable", "continue"] | None = Field(
        description="engine.stopping's decision on the statement in that round: consensus, "
        "stable without consensus, or continue; null as for net_change."
    )


class RoundOutcome(Schema):
    """A statement's outcome in one closed round."""

    round: int = Field(description="The round number.")
    outcome: Outcome = Field(
        description="consensus; carried to the next round; or stable without consensus (dropped)."
    )


class Trajectory(Schema):
    """One statement (by key, across rewordings) through the closed rounds."""

    key: str = Field(description="The statement's key, kept across rewordings.")
    topic: str = Field(description="The key of the statement's topic.")
    criteria: dict[str, list[TrajectoryPoint]] = Field(
        description="By criterion key: one point per closed round that rated it, in order."
    )
    outcomes: list[RoundOutcome] = Field(description="Its outcome in each of those rounds.")


class RuleName(Schema):
    """A consensus rule compared in the sensitivity analysis."""

    name: str = Field(
        description="study: the criterion's own rule; a preset's name "
        "(core-outcome-70-15, iqr-le-1, rand-ucla-appropriate, agreement-75); or the name of an "
        "alternative rule of the study file."
    )
    text: str = Field(description="The rule as an expression, as applied.")


class CriterionSensitivity(Schema):
    """The verdicts of every rule on one criterion of a closed round."""

    criterion: str = Field(description="The criterion's key.")
    rules: list[RuleName] = Field(description="The rules compared, the study's own first.")
    verdicts: dict[str, list[bool]] = Field(
        description="By rule name: per statement (in the order of ``statements``), whether "
        "the rule holds."
    )
    robust: list[bool] = Field(description="Per statement: every rule gives the same verdict.")
    share: list[float] = Field(description="Per statement: the share of the rules that hold.")
    flips: list[str] = Field(
        description="Keys of the statements whose verdict depends on the rule."
    )


class RoundSensitivity(Schema):
    """The consensus-rule sensitivity of one closed round."""

    round: int = Field(description="The round number.")
    statements: list[str] = Field(description="The statement keys, in the verdicts' order.")
    criteria: list[CriterionSensitivity] = Field(description="Per criterion.")


class Distinguishing(Schema):
    """A statement on which an opinion group's median differs most from the rest."""

    key: str = Field(description="The statement's key.")
    median: float | None = Field(description="The group's median.")
    rest_median: float | None = Field(description="The median of everyone outside the group.")
    difference: float | None = Field(description="median - rest_median.")


class OpinionGroup(Schema):
    """An opinion group of at least k respondents (smaller ones are never described)."""

    number: int = Field(description="The group's number from 1 (it names no respondent).")
    size: int = Field(description="Respondents in the group, at least min_size.")
    distinguishing: list[Distinguishing] = Field(
        description="The statements that set the group apart, most distinct first."
    )


class MapPoint(Schema):
    """One respondent as an unlabelled dot (sorted by group and position, not by person)."""

    group: int | None = Field(description="The dot's opinion group; null: a group below k.")
    x: float = Field(description="First principal component.")
    y: float = Field(description="Second principal component.")


class OpinionGroups(Schema):
    """A closed round's opinion groups (PCA + k-means, seeded), as stored in its snapshot.

    Without ``computed`` (too few respondents or statements) only the first five fields
    are given."""

    round: int = Field(description="The round number.")
    criterion: str = Field(description="The criterion the groups were found on.")
    seed: int = Field(description="The clustering's seed: the same ratings give the same groups.")
    min_size: int = Field(description="k: a smaller group is counted, never sized or described.")
    computed: bool = Field(
        description="false when the round had fewer than max(2k, 4) respondents or fewer "
        "than two statements; the fields below are then absent."
    )
    k: int | None = Field(default=None, description="The number of groups found.")
    silhouette: float | None = Field(
        default=None, description="Mean silhouette of the clustering, -1 to 1."
    )
    explained_variance: list[float] | None = Field(
        default=None, description="Share of variance on each of the two map axes."
    )
    respondents: int | None = Field(default=None, description="Respondents on the map.")
    groups: list[OpinionGroup] | None = Field(
        default=None, description="The groups of at least min_size respondents."
    )
    undescribed: int | None = Field(default=None, description="Groups below min_size.")
    points: list[MapPoint] | None = Field(
        default=None, description="Every respondent as a dot with no identity."
    )
    rule: str | None = Field(
        default=None, description="The rule of group-informed consensus; null without one."
    )
    agreed: list[str] | None = Field(
        default=None,
        description="Keys of the statements on which every described group reaches the rule "
        "(group-informed consensus).",
    )


class FlowRow(Schema):
    """Participant flow of one stakeholder group (or the whole panel) in one round."""

    group: str | None = Field(description="The stakeholder group's key; null: the whole panel.")
    invited: int | None = Field(description="Panelists sent a link; null: held back below k.")
    started: int | None = Field(description="Respondents who saved answers; null: held back.")
    submitted: int | None = Field(description="Respondents who submitted; null: held back.")
    dropped: int | None = Field(
        description="Submitted the round before but not this one; null in round 1 or held back."
    )


class AttritionTest(Schema):
    """The previous round's ratings of dropouts against stayers on one statement."""

    key: str = Field(description="The statement's label (key, and version from the second).")
    n_dropped: int = Field(description="Dropouts who rated it, at least k.")
    n_stayed: int = Field(description="Stayers who rated it, at least k.")
    median_dropped: float | None = Field(description="The dropouts' median.")
    median_stayed: float | None = Field(description="The stayers' median.")
    u: float | None = Field(description="Mann-Whitney U of the dropouts.")
    p: float | None = Field(description="Its two-sided p-value (asymptotic).")
    effect: float | None = Field(
        description="Rank-biserial effect, 2U / (n_dropped n_stayed) - 1, -1 to 1."
    )
    flagged: bool = Field(description="p below alpha and |effect| at least min_effect.")


class CriterionAttrition(Schema):
    """The attrition tests on one criterion."""

    criterion: str = Field(description="The criterion's key.")
    statements: list[AttritionTest] = Field(
        description="Statements with at least k dropouts and k stayers who rated them."
    )


class Attrition(Schema):
    """Who dropped out after the previous round, and whether they rated differently."""

    dropped: int = Field(description="Respondents of the previous round who did not submit.")
    stayed: int = Field(description="Respondents of the previous round who submitted again.")
    alpha: float = Field(description="The significance level of the flag.")
    min_effect: float = Field(description="The least |effect| the flag needs.")
    criteria: list[CriterionAttrition] = Field(
        description="Per criterion; empty when fewer than k dropped out or stayed."
    )


class RoundAttrition(Schema):
    """The attrition analysis of one closed round."""

    round: int = Field(description="The round number.")
    flow: list[FlowRow] = Field(
        description="Per stakeholder group, then the whole panel (group null)."
    )
    tests: Attrition | None = Field(description="Null in round 1: nobody could drop out yet.")


class KendallW(Schema):
    """Kendall's W over the raters who rated every statement."""

    w: float | None = Field(description="Kendall's W, 0 (no agreement) to 1, tie-corrected.")
    chi2: float | None = Field(description="Friedman's chi-square.")
    df: int = Field(description="Its degrees of freedom.")
    p: float | None = Field(description="Its p-value.")
    raters: int = Field(description="Raters who rated every statement.")
    dropped: int = Field(description="Raters left out for a missing rating.")


class Alpha(Schema):
    """Krippendorff's alpha of the round's ratings."""

    alpha: float | None = Field(description="Alpha, 1 perfect agreement, 0 chance.")
    level: str = Field(description="The level of measurement (ordinal).")
    units: int = Field(description="Statements with at least two ratings.")


class MedianCI(Schema):
    """A distribution-free confidence interval of a statement's median."""

    low: float | None = Field(description="Lower bound (an order statistic).")
    high: float | None = Field(description="Upper bound (an order statistic).")
    coverage: float | None = Field(description="Its exact coverage, at least the confidence.")


class CriterionAgreement(Schema):
    """Agreement between raters on one criterion of a round."""

    criterion: str = Field(description="The criterion's key.")
    kendall_w: KendallW | None = Field(description="Null with fewer than two complete raters.")
    alpha: Alpha | None = Field(description="Null with fewer than two raters or statements.")
    median_ci: list[MedianCI] = Field(description="Per statement, in the round's order.")
    confidence: float = Field(description="The confidence level of the intervals.")


class RoundAgreement(Schema):
    """Agreement between raters in one closed round."""

    round: int = Field(description="The round number.")
    statements: list[str] = Field(description="The statement keys, in the intervals' order.")
    criteria: list[CriterionAgreement] = Field(description="Per criterion.")


class Stability(Schema):
    """A statement's stability on one criterion over the closed rounds."""

    key: str = Field(description="The statement's key.")
    criterion: str = Field(description="The criterion's key.")
    rounds: list[int] = Field(description="The rounds that rated it.")
    net_change: list[float | None] = Field(description="Its net change in each of them.")
    stable_run: int = Field(description="In how many consecutive last rounds it was stable.")
    last_decision: Literal["consensus", "stable", "continue"] | None = Field(
        description="engine.stopping's decision in its last round; null in its first."
    )
