"""Response model of the final report's JSON (:func:`app.reports.service.build`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.analysis.schemas import (
    OpinionGroups,
    RoundAgreement,
    RoundAttrition,
    RoundSensitivity,
    Stability,
    TrajectoryPoint,
)
from app.api.schemas import AGREE_BAND, DISAGREE_BAND, RankingMetrics, Schema, Summary


class ReportStudy(Schema):
    """The study the report is about."""

    key: str = Field(description="The study's key.")
    title: str = Field(description="In the study's default language.")
    state: Literal["active", "finished"] = Field(description="finished once ended.")
    generated_at: str = Field(description="When the report was built (ISO 8601, UTC).")
    engine_version: str = Field(description="The engine version serving the report.")
    min_group_size: int = Field(description="k: no figure describes fewer raters.")


class PanelCell(Schema):
    """A stakeholder group's flow in one round (only ``round`` for a round with no flow
    stored)."""

    round: int = Field(description="The round number.")
    group: str | None = Field(default=None, description="The group's key; null: whole panel.")
    invited: int | None = Field(default=None, description="Invited; null: held back below k.")
    started: int | None = Field(default=None, description="Started; null: held back.")
    submitted: int | None = Field(default=None, description="Submitted; null: held back.")
    dropped: int | None = Field(
        default=None, description="Dropped since the round before; null in round 1 or held back."
    )


class PanelRow(Schema):
    """Panel composition of one stakeholder group (or the whole panel) over the rounds."""

    group: str | None = Field(description="The group's key; null: the whole panel.")
    label: str | None = Field(description="Its label; null for the whole panel.")
    rounds: list[PanelCell] = Field(description="Per closed round.")


class ReportRound(Schema):
    """A closed round: dates, response and the method it was computed with."""

    number: int = Field(description="The round number.")
    opened_at: str | None = Field(description="When it opened (ISO 8601, minutes).")
    closed_at: str | None = Field(description="When it closed (ISO 8601, minutes).")
    invited: int = Field(description="Panelists invited (0 for a round answered elsewhere).")
    responded: int = Field(description="Respondents counted.")
    response_rate: float | None = Field(description="responded / invited; null if none invited.")
    proposals_only: bool = Field(description="A round of proposals, with no ratings.")
    engine_version: str = Field(description="The engine version that computed it.")
    method: dict[str, Any] = Field(
        description="The method settings applied (as in the round's metrics, without criteria)."
    )
    criteria: list[dict[str, Any]] = Field(
        description="Each criterion's settings as applied: key, scale, bands and rule."
    )


class Amendment(Schema):
    """A change to the frozen analysis plan."""

    at: str | None = Field(description="When (ISO 8601, minutes).")
    by: str = Field(description="Who made it (the console user).")
    reason: str = Field(description="Why, as given; an amendment always has one.")
    changes: list[Any] = Field(description="The settings changed, each before and after.")
    hash: str = Field(description="SHA-256 of the plan after the change.")


class ReportPlan(Schema):
    """The pre-registered analysis plan, frozen when round 1 launched."""

    frozen_at: str | None = Field(description="When it was frozen (ISO 8601, minutes).")
    hash: str = Field(description="SHA-256 of its canonical JSON when frozen.")
    current_hash: str = Field(description="SHA-256 of the settings now (after amendments).")
    content: dict[str, Any] = Field(
        description="The frozen settings: rules, stopping rule, quantile method, cannot "
        "judge, k and the number of rounds."
    )
    amendments: list[Amendment] = Field(description="Every change since, oldest first.")


class ReportCriterion(Schema):
    """A criterion of the study."""

    key: str = Field(description="The criterion's key.")
    label: str = Field(description="Its label in the study's default language.")
    scale: tuple[int, int] = Field(description="Its scale as [lowest, highest] point.")
    agree: tuple[int, int] = Field(description=AGREE_BAND)
    disagree: tuple[int, int] = Field(description=DISAGREE_BAND)
    rule: str | None = Field(description="Its consensus rule as an expression; null: none.")


class FinalFigures(Schema):
    """The panel's figures on a statement and criterion in its last rated round."""

    median: float | None = Field(description="The median rating.")
    q1: float | None = Field(description="The lower quartile.")
    q3: float | None = Field(description="The upper quartile.")
    agree: float | None = Field(description="The share of ratings inside the agree band.")
    n: int = Field(description="Raters.")
    counts: list[int] = Field(description="Ratings per scale point, lowest point first.")
    consensus: bool | None = Field(description="Whether the rule held; null without a rule.")


class ReportStatement(Schema):
    """A statement's final verdict, its figures and trajectory."""

    key: str = Field(description="The statement's key.")
    label: str = Field(description="Its label (key, and version from the second).")
    topic: str = Field(description="The topic's key.")
    text: str = Field(description="Its final wording in the study's default language.")
    final_round: int = Field(description="The last round that rated it.")
    outcome: Literal["consensus", "carried", "stable"] = Field(
        description="Its outcome in that round: consensus, carried, or stable without consensus."
    )
    state: Literal["active", "consensus", "dropped", "superseded"] = Field(
        description="The state of the version rated last."
    )
    final: dict[str, FinalFigures] = Field(description="By criterion key, in its last round.")
    groups: dict[str, dict[str, Summary | None]] = Field(
        description="By criterion and stakeholder group key: the group's figures in its last "
        "round, or null where the group is suppressed on that cell."
    )
    trajectory: dict[str, list[TrajectoryPoint]] = Field(
        description="By criterion key: its figures in every closed round that rated it."
    )


class DissentSide(Schema):
    """One side of a dissent: the ratings in a band and the reasons behind them."""

    count: int = Field(description="Visible reasons in the band.")
    reasons: list[str] = Field(description="The most representative of them, best first.")


class Dissent(Schema):
    """A statement that ended without consensus, with the reasons on each side."""

    key: str = Field(description="The statement's key.")
    label: str = Field(description="Its label.")
    text: str = Field(description="Its final wording.")
    outcome: Literal["carried", "stable"] = Field(
        description="carried (still open when the study ended) or stable without consensus."
    )
    round: int = Field(description="The round the reasons are from (its last).")
    criterion: str = Field(description="The criterion the sides are read on (the first ruled).")
    sides: dict[Literal["disagree", "agree"], DissentSide] = Field(
        description="The disagree band's and the agree band's reasons."
    )


class RoundRankings(Schema):
    """The ranking questions of one closed round."""

    round: int = Field(description="The round number.")
    questions: list[RankingMetrics] = Field(
        description="One per ranking criterion and topic, as the round's metrics give them."
    )


class AccordItem(Schema):
    """An item of the ACCORD reporting checklist."""

    section: str = Field(description="title, introduction, methods, results, discussion, other.")
    item: str = Field(description="What the item asks for (our wording).")
    filled: bool = Field(description="Whether this report fills it in itself.")
    where: str = Field(description="The report section that does; empty when it does not.")


class Report(Schema):
    """The final study report: panel, rounds, plan, verdicts, dissent and analyses."""

    study: ReportStudy = Field(description="The study.")
    panel: list[PanelRow] = Field(description="Per stakeholder group, then the whole panel.")
    rounds: list[ReportRound] = Field(description="Every closed round, in order.")
    plan: ReportPlan | None = Field(description="The analysis plan; null before round 1.")
    criteria: list[ReportCriterion] = Field(description="The criteria, in questionnaire order.")
    statements: list[ReportStatement] = Field(description="Every rated statement, in order.")
    dissent: list[Dissent] = Field(description="The statements without consensus.")
    opinion_groups: list[OpinionGroups] = Field(description="Per closed rated round.")
    sensitivity: list[RoundSensitivity] = Field(description="Per closed rated round.")
    attrition: list[RoundAttrition] = Field(description="Per closed rated round.")
    agreement: list[RoundAgreement] = Field(description="Per closed rated round.")
    rankings: list[RoundRankings] = Field(
        description="Per closed round that has ranking questions; empty without any."
    )
    stability: list[Stability] = Field(description="Per statement and criterion.")
    accord: list[AccordItem] = Field(description="The ACCORD checklist items.")
