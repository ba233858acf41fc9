"""Stakeholder-group breakdowns and small-group suppression."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import GroupBreakdown, Scale, Summary, by_group, summarize

NINE = Scale(1, 9)
PanelFactory = Callable[..., np.ndarray]  # the large_panel fixture


def ratings_for(groups: list[str], statements: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, size=(len(groups), statements)).astype(float)
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def assert_same(a: Summary, b: Summary) -> None:
    for name in Summary.metric_names():
        left, right = getattr(a, name), getattr(b, name)
        if left.dtype == object:
            assert left.tolist() == right.tolist(), name
        else:
            np.testing.assert_array_equal(left, right, err_msg=name)
    np.testing.assert_array_equal(a.counts, b.counts)


class TestBreakdown:
    def test_each_group_is_summarize_on_its_rows(self) -> None:
        groups = ["ngo"] * 6 + ["state"] * 7 + ["academia"] * 5
        x = ratings_for(groups)
        result = by_group(x, NINE, groups, quantile_method="linear", agree=(8, 9))
        assert isinstance(result, GroupBreakdown)
        assert result.groups == ("academia", "ngo", "state")
        assert result.suppressed == {}
        assert result.sizes == {"academia": 5, "ngo": 6, "state": 7}
        labels = np.array(groups)
        for label in result.groups:
            expected = summarize(x[labels == label], NINE, quantile_method="linear", agree=(8, 9))
            summary = result.summaries[label]
            assert summary is not None
            assert_same(summary, expected)
            assert summary.method() == expected.method()

    @pytest.mark.parametrize("scale", [NINE, Scale(0, 10), Scale(0, 100)], ids=str)
    def test_large_panel_each_group_is_summarize_on_its_rows(
        self, large_panel: PanelFactory, scale: Scale
    ) -> None:
        x = large_panel(scale.low, scale.high)
        labels = np.array(["ngo", "state", "academia", "industry"])[
            np.random.default_rng(3).integers(0, 4, x.shape[0])
        ]
        result = by_group(x, scale, labels.tolist(), agree=(scale.high - 1, scale.high))
        assert result.suppressed == {}
        for label in result.groups:
            expected = summarize(x[labels == label], scale, agree=(scale.high - 1, scale.high))
            summary = result.summaries[label]
            assert summary is not None
            assert_same(summary, expected)

    def test_size_counts_respondents_not_answers(self) -> None:
        groups = ["a"] * 5 + ["b"] * 5
        x = np.full((10, 2), 7.0)
        x[:4, :] = np.nan  # four of group a answered nothing
        result = by_group(x, NINE, groups)
        assert result.sizes == {"a": 5, "b": 5}
        summary = result.summaries["a"]
        assert summary is not None
        assert summary.n.tolist() == [1, 1]

    def test_numeric_labels_are_sorted_and_plain(self) -> None:
        groups = np.array([2, 1, 2, 1, 3, 3] * 2)
        result = by_group(ratings_for(list(groups)), NINE, groups, min_size=4)
        assert result.groups == (1, 2, 3)
        assert all(type(g) is int for g in result.groups)

    def test_groups_of_size_one_with_min_size_one(self) -> None:
        result = by_group([[3.0], [9.0]], NINE, ["x", "y"], min_size=1)
        assert result.suppressed == {}
        x = result.summaries["x"]
        assert x is not None
        assert x.median.tolist() == [3.0]
        assert np.isnan(x.sd[0])

    def test_cannot_judge_mask_is_counted_per_group(self) -> None:
        groups = ["a"] * 5 + ["b"] * 5
        x = np.full((10, 1), 7.0)
        cannot = np.zeros((10, 1), dtype=bool)
        x[[0, 1, 6], 0] = np.nan
        cannot[[0, 1, 6], 0] = True
        result = by_group(x, NINE, groups, cannot_judge=cannot, cannot_judge_counts=True)
        a, b = result.summaries["a"], result.summaries["b"]
        assert a is not None
        assert b is not None
        assert a.cannot_judge.tolist() == [2]
        assert a.agree.tolist() == [0.6]
        assert b.cannot_judge.tolist() == [1]
        assert b.agree.tolist() == [0.8]


class TestSuppression:
    def test_small_group_is_suppressed(self) -> None:
        groups = ["ngo"] * 5 + ["state"] * 6 + ["private"] * 7 + ["academia"] * 2
        result = by_group(ratings_for(groups), NINE, groups)
        assert result.summaries["academia"] is None
        assert result.suppressed["academia"] == "fewer than 5 respondents"

    def test_complementary_suppression_takes_the_next_smallest(self) -> None:
        groups = ["ngo"] * 5 + ["state"] * 6 + ["private"] * 7 + ["academia"] * 2
        result = by_group(ratings_for(groups), NINE, groups)
        assert set(result.suppressed) == {"academia", "ngo"}
        assert "subtraction" in result.suppressed["ngo"]
        assert result.summaries["ngo"] is None
        assert result.sizes == {"private": 7, "state": 6}

    def test_ties_for_next_smallest_go_to_the_first_label(self) -> None:
        groups = ["b"] * 6 + ["a"] * 6 + ["c"] * 1
        result = by_group(ratings_for(groups), NINE, groups)
        assert set(result.suppressed) == {"a", "c"}

    def test_two_small_groups_need_no_complement(self) -> None:
        groups = ["a"] * 2 + ["b"] * 3 + ["c"] * 8 + ["d"] * 9
        result = by_group(ratings_for(groups), NINE, groups)
        assert set(result.suppressed) == {"a", "b"}
        assert result.sizes == {"c": 8, "d": 9}

    def test_two_groups_one_small_suppresses_both(self) -> None:
        groups = ["a"] * 3 + ["b"] * 20
        result = by_group(ratings_for(groups), NINE, groups)
        assert set(result.suppressed) == {"a", "b"}
        assert result.sizes == {}

    def test_single_small_group(self) -> None:
        result = by_group([[5.0], [6.0]], NINE, ["only", "only"])
        assert result.suppressed == {"only": "fewer than 5 respondents"}
        assert result.sizes == {}

    def test_groups_of_size_one(self) -> None:
        groups = ["a", "b", "c"]
        result = by_group(ratings_for(groups), NINE, groups, min_size=2)
        assert set(result.suppressed) == {"a", "b", "c"}
        assert all(result.summaries[g] is None for g in groups)

    @settings(max_examples=60, deadline=None)
    @given(
        sizes=st.lists(st.integers(1, 9), min_size=1, max_size=6),
        min_size=st.integers(1, 6),
    )
    def test_no_group_is_recoverable(self, sizes: list[int], min_size: int) -> None:
        groups = [f"g{i}" for i, size in enumerate(sizes) for _ in range(size)]
        result = by_group(ratings_for(groups, statements=1), NINE, groups, min_size=min_size)
        hidden = [g for g in result.groups if g in result.suppressed]
        # every small group is hidden, nothing else is hidden without a reason,
        # and a hidden group never stands alone (subtraction would reveal it)
        assert all(result.summaries[g] is None for g in hidden)
        for i, size in enumerate(sizes):
            if size < min_size:
                assert f"g{i}" in hidden
        assert len(hidden) != 1 or len(result.groups) == 1
        assert set(result.sizes) == set(result.groups) - set(hidden)


class TestValidation:
    def test_labels_must_match_rows(self) -> None:
        with pytest.raises(ValueError, match="groups must give one label per respondent"):
            by_group([[1.0], [2.0]], NINE, ["a"])

    def test_missing_labels(self) -> None:
        with pytest.raises(ValueError, match="missing label"):
            by_group([[1.0], [2.0]], NINE, ["a", None])

    def test_unsortable_labels(self) -> None:
        with pytest.raises(ValueError, match="sortable"):
            by_group([[1.0], [2.0]], NINE, ["a", 1])

    @pytest.mark.parametrize("min_size", [0, -1, 2.5, True])
    def test_bad_min_size(self, min_size: object) -> None:
        with pytest.raises(ValueError, match="min_size"):
            by_group([[1.0]], NINE, ["a"], min_size=min_size)  # type: ignore[arg-type]

    def test_unknown_option(self) -> None:
        with pytest.raises(ValueError, match="unknown option"):
            by_group([[1.0]], NINE, ["a"], method="linear")

    def test_bad_cannot_judge_mask(self) -> None:
        with pytest.raises(ValueError, match="cannot_judge"):
            by_group([[1.0], [2.0]], NINE, ["a", "a"], cannot_judge=[1])

    def test_off_scale_ratings(self) -> None:
        with pytest.raises(ValueError, match="off the scale"):
            by_group([[1.0], [12.0]], NINE, ["a", "a"])
