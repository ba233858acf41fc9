"""Delphi consensus statistics: pure numpy/scipy functions on ratings matrices.

Rows are respondents, columns are statements; NaN marks a missing or "cannot judge"
answer. Every result is a frozen dataclass or a named tuple. Nothing here imports the
web application.

>>> import engine
>>> s = engine.summarize([7, 8, 9, 9, 3], engine.Scale(1, 9))
>>> bool(engine.evaluate(s, engine.ConsensusRule.preset("agreement-75"))[0])
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.agreement import bimodality_coefficient, leik, tastle_wierman, van_der_eijk
    from engine.appropriateness import RandUcla, rand_ucla
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
    from engine.descriptive import Summary, summarize, summarize_counts
    from engine.dissent import GroupDivergence, OpinionGroups, group_divergence, opinion_groups
    from engine.errors import RuleError
    from engine.frequencies import counts
    from engine.groups import CommonGroups, GroupBreakdown, by_group, common_groups, shown_cells
    from engine.live import LiveTally
    from engine.methods import QUANTILE_METHODS
    from engine.opinions import OpinionProfiles, describe_opinion_groups
    from engine.quantiles import MedianCI, Quartiles, median_ci, quartiles
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

# PEP 562: each name is imported from its module on first use, so ``import engine`` costs
# nothing and scipy loads only when a function that needs it runs (a CLI command that
# needs no statistics starts without it).
_WHERE: dict[str, str] = {
    "Attrition": "engine.comparison",
    "CommonGroups": "engine.groups",
    "ConsensusRule": "engine.consensus",
    "FeedbackEffect": "engine.comparison",
    "FleissKappa": "engine.reliability",
    "GroupBreakdown": "engine.groups",
    "GroupDivergence": "engine.dissent",
    "KendallW": "engine.reliability",
    "KrippendorffAlpha": "engine.reliability",
    "LiveTally": "engine.live",
    "MannWhitney": "engine.comparison",
    "MedianCI": "engine.quantiles",
    "OpinionGroups": "engine.dissent",
    "OpinionProfiles": "engine.opinions",
    "PairedChange": "engine.change",
    "QUANTILE_METHODS": "engine.methods",
    "Quartiles": "engine.quantiles",
    "RandUcla": "engine.appropriateness",
    "RankChange": "engine.ranking",
    "RankSummary": "engine.ranking",
    "RoundStability": "engine.change",
    "RuleError": "engine.errors",
    "Scale": "engine.scale",
    "Sensitivity": "engine.sensitivity",
    "Stopping": "engine.change",
    "Summary": "engine.descriptive",
    "attrition": "engine.comparison",
    "bimodality_coefficient": "engine.agreement",
    "by_group": "engine.groups",
    "common_groups": "engine.groups",
    "complete_rankings": "engine.ranking",
    "consensus_sensitivity": "engine.sensitivity",
    "counts": "engine.frequencies",
    "describe_opinion_groups": "engine.opinions",
    "evaluate": "engine.consensus",
    "feedback_effect": "engine.comparison",
    "fleiss_kappa": "engine.reliability",
    "group_divergence": "engine.dissent",
    "kendalls_w": "engine.reliability",
    "krippendorff_alpha": "engine.reliability",
    "leik": "engine.agreement",
    "mann_whitney": "engine.comparison",
    "median_ci": "engine.quantiles",
    "opinion_groups": "engine.dissent",
    "paired_change": "engine.change",
    "quartiles": "engine.quantiles",
    "rand_ucla": "engine.appropriateness",
    "rank_change": "engine.ranking",
    "rank_summary": "engine.ranking",
    "round_stability": "engine.change",
    "shown_cells": "engine.groups",
    "stopping": "engine.change",
    "summarize": "engine.descriptive",
    "summarize_counts": "engine.descriptive",
    "tastle_wierman": "engine.agreement",
    "van_der_eijk": "engine.agreement",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "RuleError",
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
