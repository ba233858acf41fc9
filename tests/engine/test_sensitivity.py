"""Consensus-rule sensitivity against verdicts computed by hand from the ratings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import ConsensusRule, Scale, Sensitivity, consensus_sensitivity, summarize
from engine.consensus import PRESETS

NINE = Scale(1, 9)


def by_hand(x: np.ndarray) -> dict[str, np.ndarray]:
    """Each preset's verdict per statement, with numpy only (no rule parser)."""
    verdicts: dict[str, list[bool]] = {name: [] for name in PRESETS}
    for column in x.T:
        r = column[~np.isnan(column)]
        if r.size == 0:
            for name in verdicts:
                verdicts[name].append(False)
            continue
        agree = np.mean((r >= 7) & (r <= 9))
        disagree = np.mean(r <= 3)
        q1, median, q3 = np.quantile(r, [0.25, 0.5, 0.75], method="weibull")
        p30, p70 = np.quantile(r, [0.3, 0.7], method="weibull")
        ipras = 2.35 + 1.5 * abs(5 - (p30 + p70) / 2)
        verdicts["core-outcome-70-15"].append(agree >= 0.7 and disagree < 0.15)
        verdicts["iqr-le-1"].append(q3 - q1 <= 1)
        verdicts["rand-ucla-appropriate"].append(median >= 7 and p70 - p30 <= ipras)
        verdicts["agreement-75"].append(agree >= 0.75)
    return {name: np.array(v) for name, v in verdicts.items()}


class TestSensitivity:
    @settings(max_examples=60, deadline=None)
    @given(
        hnp.arrays(
            np.float64,
            st.tuples(st.integers(1, 15), st.integers(1, 6)),
            elements=st.one_of(st.integers(1, 9).map(float), st.just(np.nan)),
        )
    )
    def test_presets_give_the_verdicts_computed_by_hand(self, x: np.ndarray) -> None:
        res = consensus_sensitivity(summarize(x, NINE), "median >= 8")
        assert isinstance(res, Sensitivity)
        assert res.names == ("study", *PRESETS)
        expected = by_hand(x)
        for name in PRESETS:
            np.testing.assert_array_equal(res.verdict(name), expected[name], err_msg=name)
        median = np.array([np.median(c[~np.isnan(c)]) if (~np.isnan(c)).any() else 0 for c in x.T])
        np.testing.assert_array_equal(res.verdict("study"), median >= 8)
        stacked = np.array([res.verdict(n) for n in res.names])
        np.testing.assert_array_equal(res.robust, stacked.all(axis=0) | ~stacked.any(axis=0))
        np.testing.assert_array_equal(res.flips, np.flatnonzero(~res.robust))
        np.testing.assert_allclose(res.share, stacked.mean(axis=0))

    def test_alternatives_by_name_and_by_text(self) -> None:
        s = summarize([[9, 7], [8, 7], [9, 2]], NINE)
        named = consensus_sensitivity(s, alternatives={"strict": "agree >= 0.9"}, presets=())
        assert named.names == ("strict",)
        assert named.verdict("strict").tolist() == [True, False]
        listed = consensus_sensitivity(
            s, "iqr-le-1", alternatives=["median >= 8", ConsensusRule.preset("agreement-75")]
        )
        assert listed.names[0] == "study"
        assert listed.rules[0] == ConsensusRule.preset("iqr-le-1")
        assert listed.names[-2:] == ("median >= 8", "agree >= 0.75")

    def test_a_study_without_a_rule_compares_the_presets(self) -> None:
        res = consensus_sensitivity(summarize([[9], [9], [9]], NINE))
        assert res.names == tuple(PRESETS)
        assert res.robust.tolist() == [True]
        assert res.share.tolist() == [1.0]

    def test_a_statement_nobody_rated_is_robustly_without_consensus(self) -> None:
        res = consensus_sensitivity(summarize([[np.nan], [np.nan]], NINE), "iqr <= 9")
        assert not res.verdicts.any()
        assert res.robust.tolist() == [True]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"presets": ()}, "no rule"),
            ({"presets": ("iqr-le-1", "iqr-le-1")}, "unique"),
            ({"presets": "iqr-le-1"}, "sequence of preset names"),
            ({"presets": ("delphi",)}, "unknown preset"),
            ({"alternatives": "iqr <= 1"}, "alternatives"),
            ({"alternatives": ["median >>= 7"]}, "consensus rule"),
        ],
    )
    def test_bad_input(self, kwargs: dict, match: str) -> None:
        with pytest.raises(ValueError, match=match):
            consensus_sensitivity(summarize([[5]], NINE), **kwargs)

    def test_summary_is_checked(self) -> None:
        with pytest.raises(ValueError, match="engine.Summary"):
            consensus_sensitivity([[5]], "iqr <= 1")  # type: ignore[arg-type]


class TestCoerce:
    def test_every_form_of_a_rule(self) -> None:
        rule = ConsensusRule.preset("core-outcome-70-15")
        assert ConsensusRule.coerce(rule) is rule
        assert ConsensusRule.coerce("core-outcome-70-15") == rule
        assert ConsensusRule.coerce({"preset": "core-outcome-70-15"}) == rule
        assert ConsensusRule.coerce(rule.to_dict()) == rule
        assert ConsensusRule.coerce({"expression": "agree >= 0.7 and disagree < 0.15"}) == rule

    def test_bad_forms(self) -> None:
        with pytest.raises(ValueError, match="unknown preset"):
            ConsensusRule.coerce({"preset": "nope"})
        with pytest.raises(ValueError, match="must be a ConsensusRule"):
            ConsensusRule.coerce(7)  # type: ignore[arg-type]
