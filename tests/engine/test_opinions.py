"""Describing opinion groups: figures checked with numpy medians on each group's rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import (
    OpinionProfiles,
    Scale,
    by_group,
    describe_opinion_groups,
    evaluate,
    opinion_groups,
    summarize,
)

NINE = Scale(1, 9)
RULE = "median >= 7 and agree >= 0.7"


def median_of(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if values.size else np.nan


class TestDescribeOpinionGroups:
    @settings(max_examples=60, deadline=None)
    @given(
        hnp.arrays(
            np.float64,
            st.tuples(st.integers(2, 24), st.integers(1, 5)),
            elements=st.one_of(st.integers(1, 9).map(float), st.just(np.nan)),
        ),
        st.integers(0, 2**32 - 1),
        st.integers(1, 5),
    )
    def test_figures_equal_numpy_on_each_groups_rows(
        self, x: np.ndarray, seed: int, k: int
    ) -> None:
        labels = np.random.default_rng(seed).integers(0, 3, x.shape[0])
        res = describe_opinion_groups(x, labels, NINE, RULE, min_size=k)
        assert isinstance(res, OpinionProfiles)
        np.testing.assert_array_equal(res.shown, by_group(x, NINE, labels, min_size=k).shown)
        for i, group in enumerate(res.groups):
            rows = labels == group
            assert res.sizes[i] == rows.sum()
            assert res.described[i] == (rows.sum() >= k)
            verdict = evaluate(summarize(x[rows], NINE), RULE)
            for j in range(x.shape[1]):
                if not res.shown[i, j]:
                    assert np.isnan(res.median[i, j])
                    assert not res.consensus[i, j]
                    continue
                assert res.median[i, j] == median_of(x[rows, j])
                np.testing.assert_equal(res.rest_median[i, j], median_of(x[~rows, j]))
                assert res.consensus[i, j] == verdict[j]
            if res.described[i]:
                gaps = np.abs(res.difference[i][res.distinguishing[group]])
                assert (gaps > 0).all()
                assert (np.diff(gaps) <= 0).all()
                others = np.delete(
                    np.nan_to_num(np.abs(res.difference[i])), res.distinguishing[group]
                )
                if len(res.distinguishing[group]) == 3 and others.size:
                    assert gaps.min() >= others.max()
            else:
                assert group not in res.distinguishing
        described = res.described
        expected = (
            (res.shown & res.consensus)[described].all(axis=0)
            if described.any()
            else np.zeros(x.shape[1], dtype=bool)
        )
        np.testing.assert_array_equal(res.agreed, expected)

    def test_camps_found_by_opinion_groups(self) -> None:
        camp = np.array([[9, 8, 2, 1], [8, 9, 1, 2], [9, 9, 2, 2], [8, 8, 1, 1], [9, 8, 1, 2]])
        x = np.vstack([camp, 10 - camp]).astype(float)
        shared = np.full((10, 1), 8.0)
        found = opinion_groups(x, seed=1)
        res = describe_opinion_groups(np.hstack([x, shared]), found.labels, NINE, RULE, top=2)
        assert res.sizes.tolist() == [5, 5]
        assert res.agreed.tolist() == [False, False, False, False, True]
        # medians 9 against 1 and 1 against 9 (a gap of 8) come before the gaps of 6
        assert res.distinguishing[0].tolist() == [0, 2]
        assert res.difference[0].tolist() == [8.0, 6.0, -8.0, -6.0, 0.0]
        assert res.difference[0, 4] == 0

    def test_small_groups_are_not_described(self) -> None:
        x = np.full((12, 2), 8.0)
        x[10:] = 2.0
        res = describe_opinion_groups(x, [0] * 10 + [1] * 2, NINE, RULE)
        assert res.described.tolist() == [True, False]
        assert list(res.distinguishing) == [0]
        assert not res.shown.any()  # the group of ten alone would be the total minus two
        assert not res.agreed.any()

    def test_bad_top(self) -> None:
        with pytest.raises(ValueError, match="top"):
            describe_opinion_groups([[5.0]], [0], NINE, RULE, top=0)


def test_a_five_point_scale_uses_its_own_bands_for_the_rest() -> None:
    """The rest of the panel is summarised with the study's bands (the 1-9 defaults do not
    fit a 1-5 scale); the medians are those of the groups and of the rest."""
    camp = np.array([[5, 1], [4, 2], [5, 1], [4, 1], [5, 2]])
    x = np.vstack([camp, 6 - camp])
    res = describe_opinion_groups(
        x, [0] * 5 + [1] * 5, Scale(1, 5), "agree >= 0.8", agree=(4, 5), disagree=(1, 2)
    )
    assert res.difference.tolist() == [[4.0, -4.0], [-4.0, 4.0]]
