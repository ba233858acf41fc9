"""Consensus rules: parsing, serialisation, presets and evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ConsensusRule, Scale, Summary, evaluate, summarize
from engine.consensus import PRESETS, AllOf, AnyOf, Comparison

NINE = Scale(1, 9)


def panel() -> Summary:
    """Four statements: clear consensus, split panel, lukewarm, and no ratings at all."""
    x = np.array(
        [
            [9, 1, 5, np.nan],
            [8, 9, 6, np.nan],
            [8, 1, 5, np.nan],
            [7, 9, 7, np.nan],
            [9, 2, 7, np.nan],
            [8, 8, 4, np.nan],
        ]
    )
    return summarize(x, NINE)


class TestParse:
    def test_conjunction(self) -> None:
        rule = ConsensusRule.parse("median >= 7 and agree >= 0.70 and disagree < 0.15")
        assert rule.root == AllOf(
            (
                Comparison("median", ">=", 7),
                Comparison("agree", ">=", 0.7),
                Comparison("disagree", "<", 0.15),
            )
        )

    def test_and_binds_tighter_than_or(self) -> None:
        rule = ConsensusRule.parse("iqr <= 1 or median >= 7 and di < 1")
        assert rule.root == AnyOf(
            (
                Comparison("iqr", "<=", 1),
                AllOf((Comparison("median", ">=", 7), Comparison("di", "<", 1))),
            )
        )

    def test_parentheses(self) -> None:
        rule = ConsensusRule.parse("(iqr <= 1 or agree > 0.8) and n >= 10")
        assert str(rule) == "(iqr <= 1 or agree > 0.8) and n >= 10"

    def test_case_and_percent(self) -> None:
        rule = ConsensusRule.parse("DI <= 1 AND Median >= 7 and agree >= 70%")
        assert str(rule) == "di <= 1 and median >= 7 and agree >= 0.7"

    def test_text_field(self) -> None:
        rule = ConsensusRule.parse('rand_ucla_class == "appropriate"')
        assert rule.root == Comparison("rand_ucla_class", "==", "appropriate")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("consensus >= 7", "unknown field 'consensus'"),
            ("median >= ", "ends too early"),
            ("median 7", "expected a comparison"),
            ("median >= seven", "expected a number"),
            ("median >= 7 and", "ends too early"),
            ("(median >= 7", "missing"),
            ("median >= 7 iqr <= 1", "unexpected 'iqr'"),
            ("median != 7", "cannot read"),
            ("", "empty"),
            ("rand_ucla_class >= 'x'", "rand_ucla_class"),
            ("median == 'appropriate'", "must be a number"),
        ],
    )
    def test_errors_name_the_problem(self, text: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            ConsensusRule.parse(text)

    def test_every_metric_is_a_field(self) -> None:
        for name in Summary.metric_names():
            if name != "rand_ucla_class":
                assert ConsensusRule.parse(f"{name} >= 0").fields() == (name,)


comparisons = st.builds(
    Comparison,
    st.sampled_from([m for m in Summary.metric_names() if m != "rand_ucla_class"]),
    st.sampled_from([">=", ">", "<=", "<", "=="]),
    st.integers(-5, 20) | st.floats(-5, 20, allow_nan=False).map(lambda v: round(v, 3)),
)
rules = st.recursive(
    comparisons,
    lambda inner: (
        st.builds(AllOf, st.lists(inner, min_size=2, max_size=3).map(tuple))
        | st.builds(AnyOf, st.lists(inner, min_size=2, max_size=3).map(tuple))
    ),
    max_leaves=6,
).map(lambda node: ConsensusRule.from_dict(ConsensusRule(node).to_dict()))


class TestSerialisation:
    @settings(max_examples=80, deadline=None)
    @given(rule=rules)
    def test_text_and_dict_round_trip(self, rule: ConsensusRule) -> None:
        assert ConsensusRule.parse(str(rule)) == rule
        data = json.loads(json.dumps(rule.to_dict()))
        assert ConsensusRule.from_dict(data) == rule

    def test_dict_shape(self) -> None:
        rule = ConsensusRule.parse("iqr <= 1 or agree >= 0.75")
        assert rule.to_dict() == {
            "any": [
                {"field": "iqr", "op": "<=", "value": 1},
                {"field": "agree", "op": ">=", "value": 0.75},
            ]
        }

    def test_from_expression(self) -> None:
        rule = ConsensusRule.from_dict({"expression": "iqr <= 1"})
        assert rule == ConsensusRule.parse("iqr <= 1")

    @pytest.mark.parametrize(
        "data",
        [
            {"field": "mode", "op": ">=", "value": 1},
            {"field": "iqr", "op": "=>", "value": 1},
            {"field": "iqr", "op": "<=", "value": "1"},
            {"field": "iqr", "op": "<=", "value": float("nan")},
            {"all": []},
            {"every": [{"field": "iqr", "op": "<=", "value": 1}]},
            ["iqr <= 1"],
        ],
    )
    def test_bad_dicts(self, data: object) -> None:
        with pytest.raises(ValueError, match="consensus rule|unknown|number|finite|operator"):
            ConsensusRule.from_dict(data)  # type: ignore[arg-type]


class TestPresets:
    def test_names(self) -> None:
        assert set(ConsensusRule.presets()) == {
            "core-outcome-70-15",
            "iqr-le-1",
            "rand-ucla-appropriate",
            "agreement-75",
        }
        assert set(PRESETS) == set(ConsensusRule.presets())

    def test_definitions(self) -> None:
        assert str(ConsensusRule.preset("core-outcome-70-15")) == "agree >= 0.7 and disagree < 0.15"
        assert str(ConsensusRule.preset("iqr-le-1")) == "iqr <= 1"
        assert str(ConsensusRule.preset("rand-ucla-appropriate")) == "median >= 7 and di <= 1"
        assert str(ConsensusRule.preset("agreement-75")) == "agree >= 0.75"

    def test_unknown(self) -> None:
        with pytest.raises(ValueError, match="unknown preset 'delphi'"):
            ConsensusRule.preset("delphi")

    def test_core_outcome_rule_at_its_edges(self) -> None:
        # 7 of 10 in 7-9 and 1 of 10 in 1-3 is consensus; 2 of 10 in 1-3 is not
        x = np.array(
            [[9, 9], [8, 8], [7, 7], [7, 7], [8, 8], [9, 9], [7, 7], [5, 1], [4, 2], [1, 5]]
        )
        s = summarize(x, NINE)
        assert s.agree.tolist() == [0.7, 0.7]
        assert evaluate(s, ConsensusRule.preset("core-outcome-70-15")).tolist() == [True, False]


class TestEvaluate:
    def test_per_statement(self) -> None:
        s = panel()
        assert evaluate(s, "median >= 7").tolist() == [True, False, False, False]
        assert evaluate(s, "agree >= 0.5 or iqr <= 3").tolist() == [True, True, True, False]
        assert evaluate(s, ConsensusRule.preset("rand-ucla-appropriate")).tolist() == [
            True,
            False,
            False,
            False,
        ]

    def test_statement_without_ratings_never_reaches_consensus(self) -> None:
        s = panel()
        assert not evaluate(s, "n >= 0")[3]
        assert not evaluate(s, "iqr <= 100 or agree >= 0")[3]

    def test_text_field(self) -> None:
        s = panel()
        assert evaluate(s, 'rand_ucla_class == "appropriate"').tolist() == [
            True,
            False,
            False,
            False,
        ]

    def test_accepts_dicts(self) -> None:
        s = panel()
        rule = {"field": "median", "op": ">=", "value": 7}
        assert evaluate(s, rule).tolist() == [True, False, False, False]

    def test_returns_booleans(self) -> None:
        result = evaluate(panel(), "iqr <= 1")
        assert result.dtype == np.bool_
        assert result.shape == (4,)

    def test_rejects_non_summaries(self) -> None:
        with pytest.raises(ValueError, match="summary"):
            evaluate({"median": [8]}, "median >= 7")  # type: ignore[arg-type]
