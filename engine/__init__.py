"""Delphi consensus statistics: pure numpy/scipy functions on ratings matrices.

Rows are respondents, columns are statements; NaN marks a missing or "cannot judge"
answer. Every result is a frozen dataclass or a named tuple. Nothing here imports the
web application.

>>> import engine
>>> s = engine.summarize([7, 8, 9, 9, 3], engine.Scale(1, 9))
>>> bool(engine.evaluate(s, engine.ConsensusRule.preset("agreement-75"))[0])
True
"""

from engine.change import (
    PairedChange,
    RoundStability,
    Stopping,
    paired_change,
    round_stability,
    stopping,
)
from engine.comparison import (
    Attrition,
    FeedbackEffect,
    MannWhitney,
    attrition,
    feedback_effect,
    mann_whitney,
)
from engine.consensus import ConsensusRule, evaluate
from engine.descriptive import (
    QUANTILE_METHODS,
    MedianCI,
    Quartiles,
    RandUcla,
    Summary,
    bimodality_coefficient,
    counts,
    leik,
    median_ci,
    quartiles,
    rand_ucla,
    summarize,
    summarize_counts,
    tastle_wierman,
    van_der_eijk,
)
from engine.dissent import GroupDivergence, OpinionGroups, group_divergence, opinion_groups
from engine.groups import CommonGroups, GroupBreakdown, by_group, common_groups, shown_cells
from engine.live import LiveTally
from engine.opinions import OpinionProfiles, describe_opinion_groups
from engine.ranking import (
    RankChange,
    RankSummary,
    complete_rankings,
    rank_change,
    rank_summary,
)
from engine.reliability import (
    FleissKappa,
    KendallW,
    KrippendorffAlpha,
    fleiss_kappa,
    kendalls_w,
    krippendorff_alpha,
)
from engine.scale import Scale
from engine.sensitivity import Sensitivity, consensus_sensitivity

__version__ = "0.2.0"

__all__ = [
    "QUANTILE_METHODS",
    "Attrition",
    "CommonGroups",
    "ConsensusRule",
    "FeedbackEffect",
    "FleissKappa",
    "GroupBreakdown",
    "GroupDivergence",
    "KendallW",
    "KrippendorffAlpha",
    "LiveTally",
    "MannWhitney",
    "MedianCI",
    "OpinionGroups",
    "OpinionProfiles",
    "PairedChange",
    "Quartiles",
    "RandUcla",
    "RankChange",
    "RankSummary",
    "RoundStability",
    "Scale",
    "Sensitivity",
    "Stopping",
    "Summary",
    "__version__",
    "attrition",
    "bimodality_coefficient",
    "by_group",
    "common_groups",
    "complete_rankings",
    "consensus_sensitivity",
    "counts",
    "describe_opinion_groups",
    "evaluate",
    "feedback_effect",
    "fleiss_kappa",
    "group_divergence",
    "kendalls_w",
    "krippendorff_alpha",
    "leik",
    "mann_whitney",
    "median_ci",
    "opinion_groups",
    "paired_change",
    "quartiles",
    "rand_ucla",
    "rank_change",
    "rank_summary",
    "round_stability",
    "shown_cells",
    "stopping",
    "summarize",
    "summarize_counts",
    "tastle_wierman",
    "van_der_eijk",
]
