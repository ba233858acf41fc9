"""Ranking questions against scipy (rankdata, friedmanchisquare, spearmanr, kendalltau)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from engine import complete_rankings, kendalls_w, rank_change, rank_summary

nan = np.nan
FAST = settings(max_examples=80, deadline=None)

# Siegel & Castellan style example: 10 projects (rows) ranked by 4 judges (columns).
PROJECTS = np.array(
    [
        [1, 2, 3, 4],
        [3, 1, 2, 2],
        [4, 4, 1, 3],
        [5, 5, 5, 1],
        [2, 6, 7, 6],
        [8, 3, 4, 7],
        [6, 8, 6, 5],
        [7, 7, 8, 9],
        [10, 10, 9, 8],
        [9, 9, 10, 10],
    ]
)


@st.composite
def rankings(draw: st.DrawFn, *, rows: tuple[int, int] = (1, 12), items=(3, 7)) -> np.ndarray:
    """Positions with ties, top-N rows (NaN for the rest) and rows that ranked nothing."""
    m = draw(st.integers(*rows))
    n = draw(st.integers(*items))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = np.array([rng.permutation(n) + 1 for _ in range(m)], dtype=float)
    ties = rng.random(x.shape) < draw(st.floats(0, 0.5))
    x[ties] = np.maximum(x[ties] - 1, 1)  # a position shared with the next item up
    top = rng.integers(0, n + 1, m)  # 0: ranked nothing; n: a full ranking
    x[x > top[:, np.newaxis]] = nan
    return x


def reference_completion(x: np.ndarray) -> np.ndarray:
    """scipy's average ranks, with the unplaced items given a position below all."""
    answered = ~np.isnan(x).all(axis=1)
    filled = np.where(np.isnan(x), x.shape[1] + 1, x)[answered]
    return stats.rankdata(filled, axis=1, method="average")


class TestCompletion:
    @FAST
    @given(rankings())
    def test_equals_rankdata_with_the_unplaced_tied_last(self, x: np.ndarray) -> None:
        completed = complete_rankings(x)
        answered = ~np.isnan(x).all(axis=1)
        assert np.isnan(completed[~answered]).all()
        np.testing.assert_allclose(completed[answered], reference_completion(x), rtol=1e-12)

    def test_bad_positions_name_the_parameter(self) -> None:
        with pytest.raises(ValueError, match=r"positions 1\.\.3"):
            complete_rankings([[1, 2, 4]])
        with pytest.raises(ValueError, match="positions"):
            rank_summary([[1, 1.5, 3]])
        with pytest.raises(ValueError, match="before"):
            rank_change([[0, 1]], [[1, 2]])
        with pytest.raises(ValueError, match="same shape"):
            rank_change([[1, 2]], [[1, 2, 3]])


class TestRankSummary:
    def test_published_example(self) -> None:
        res = rank_summary(PROJECTS.T)
        assert res.kendall.w == pytest.approx(0.793939, abs=5e-7)
        assert res.kendall.chi2 == pytest.approx(28.5818, abs=5e-5)
        assert res.kendall.df == 9
        assert res.rankers == 4
        np.testing.assert_allclose(res.mean_rank, PROJECTS.mean(axis=1))
        assert res.distribution.sum(axis=1).tolist() == [4] * 10
        assert res.unplaced.tolist() == [0] * 10

    @FAST
    @given(rankings())
    def test_chi2_is_friedman_on_the_completed_rankings(self, x: np.ndarray) -> None:
        completed = reference_completion(x)
        assume(completed.shape[0] >= 2)
        assume(not (completed == completed[:, :1]).all())
        res = rank_summary(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on small samples
            friedman = stats.friedmanchisquare(*completed.T)
        assert res.kendall.chi2 == pytest.approx(friedman.statistic, rel=1e-9)
        assert res.kendall.pvalue == pytest.approx(friedman.pvalue, rel=1e-9, abs=1e-15)
        assert res.kendall.w == pytest.approx(kendalls_w(completed).w, rel=1e-12)
        np.testing.assert_allclose(res.mean_rank, completed.mean(axis=0), rtol=1e-12)

    @FAST
    @given(rankings())
    def test_distribution_counts_the_given_positions(self, x: np.ndarray) -> None:
        res = rank_summary(x)
        answered = x[~np.isnan(x).all(axis=1)]
        for item in range(x.shape[1]):
            for position in range(1, x.shape[1] + 1):
                assert res.distribution[item, position - 1] == (answered[:, item] == position).sum()
        np.testing.assert_array_equal(res.distribution.sum(axis=1) + res.unplaced, res.rankers)

    def test_top_n_rankings_are_not_dropped(self) -> None:
        top3 = PROJECTS.T.astype(float)
        top3[top3 > 3] = nan
        assert kendalls_w(top3).raters == 0  # every rater has a missing value
        res = rank_summary(top3)
        assert res.kendall.raters == 4
        assert 0 < res.kendall.w < 1

    def test_nobody_ranked(self) -> None:
        res = rank_summary(np.full((3, 4), nan))
        assert res.rankers == 0
        assert np.isnan(res.kendall.w)
        assert np.isnan(res.mean_rank).all()


class TestRankChange:
    @FAST
    @given(rankings(rows=(2, 12)), st.integers(0, 2**32 - 1))
    def test_per_panelist_correlations_equal_scipy(self, x: np.ndarray, seed: int) -> None:
        rng = np.random.default_rng(seed)
        y = x.copy()
        for row in y:  # each panelist swaps a few of their items, some rank anew
            if rng.random() < 0.5:
                i, j = rng.choice(x.shape[1], 2, replace=False)
                row[[i, j]] = row[[j, i]]
        res = rank_change(x, y)
        a, b = complete_rankings(x), complete_rankings(y)
        for i in range(x.shape[0]):
            if np.isnan(a[i]).all() or np.isnan(b[i]).all():
                assert np.isnan(res.spearman[i])
                continue
            if (a[i] == a[i, 0]).all() or (b[i] == b[i, 0]).all():
                assert np.isnan(res.spearman[i])
                assert np.isnan(res.kendall_tau[i])
                continue
            assert res.spearman[i] == pytest.approx(stats.spearmanr(a[i], b[i])[0], abs=1e-12)
            assert res.kendall_tau[i] == pytest.approx(stats.kendalltau(a[i], b[i])[0], abs=1e-12)
        both = ~np.isnan(a).all(axis=1) & ~np.isnan(b).all(axis=1)
        assert res.both == both.sum()

    def test_w_change_and_mean_rank_shift(self) -> None:
        before = PROJECTS.T
        after = np.tile(np.arange(1, 11), (4, 1))  # everyone now agrees
        res = rank_change(before, after)
        assert res.after.kendall.w == pytest.approx(1.0)
        assert res.w_change == pytest.approx(1.0 - 0.793939, abs=5e-7)
        np.testing.assert_allclose(res.mean_rank_shift, np.arange(1, 11) - PROJECTS.mean(axis=1))
        assert res.spearman.tolist() == pytest.approx(
            [stats.spearmanr(r, np.arange(1, 11))[0] for r in PROJECTS.T]
        )

    def test_many_panelists_are_blocked_without_changing_results(self) -> None:
        rng = np.random.default_rng(1)
        x = np.array([rng.permutation(20) + 1 for _ in range(3000)], dtype=float)
        y = np.array([rng.permutation(20) + 1 for _ in range(3000)], dtype=float)
        res = rank_change(x, y)
        for i in (0, 1499, 2999):
            assert res.kendall_tau[i] == pytest.approx(stats.kendalltau(x[i], y[i])[0], abs=1e-12)
