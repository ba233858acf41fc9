"""Stakeholder-group divergence and opinion groups, against scipy and scikit-learn."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from sklearn.metrics import adjusted_rand_score, silhouette_score

from engine.dissent import group_divergence, opinion_groups

nan = np.nan
FAST = settings(max_examples=50, deadline=None)
PanelFactory = Callable[..., np.ndarray]  # the large_panel fixture
STAKEHOLDERS = np.array(["academia", "member state", "ngo", "private sector"])


@st.composite
def grouped_ratings(draw: st.DrawFn, *, fractional: bool = False) -> tuple[np.ndarray, np.ndarray]:
    m = draw(st.integers(2, 30))
    n = draw(st.integers(1, 5))
    x = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(1, 5))).astype(float)
    if fractional:
        x = x / 3.0
    holes = draw(hnp.arrays(np.bool_, (m, n), elements=st.booleans()))
    x[holes & draw(st.booleans())] = nan
    groups = STAKEHOLDERS[draw(hnp.arrays(np.int64, m, elements=st.integers(0, 3)))]
    return x, groups


def check_against_kruskal(x: np.ndarray, groups: np.ndarray) -> None:
    res = group_divergence(x, groups)
    labels = list(res.groups)
    for j in range(x.shape[1]):
        samples = [x[(groups == g) & ~np.isnan(x[:, j]), j] for g in labels]
        assert res.group_n[:, j].tolist() == [len(s) for s in samples]
        samples = [s for s in samples if len(s)]
        pooled = np.concatenate(samples) if samples else np.array([])
        if len(samples) < 2 or (pooled == pooled[0]).all():
            assert np.isnan(res.h[j])
            assert np.isnan(res.pvalue[j])
            continue
        ref = stats.kruskal(*samples)
        assert res.h[j] == pytest.approx(ref.statistic, rel=1e-10, abs=1e-12)
        assert res.pvalue[j] == pytest.approx(ref.pvalue, rel=1e-10)
        assert res.df[j] == len(samples) - 1
        assert res.epsilon_squared[j] == pytest.approx(ref.statistic / (len(pooled) - 1))


class TestGroupDivergence:
    def test_scipy_documentation_example(self) -> None:
        res = group_divergence([1, 1, 1, 2, 2, 2, 2, 2], ["x"] * 3 + ["y"] * 3 + ["z"] * 2)
        ref = stats.kruskal([1, 1, 1], [2, 2, 2], [2, 2])
        assert res.h[0] == pytest.approx(7.0)
        assert res.pvalue[0] == pytest.approx(ref.pvalue, rel=1e-12)
        assert res.df.tolist() == [2]

    @FAST
    @given(grouped_ratings())
    def test_matches_scipy_kruskal(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        check_against_kruskal(*data)

    @FAST
    @given(grouped_ratings(fractional=True))
    def test_non_integer_ratings(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        check_against_kruskal(*data)

    def test_larger_panel_with_a_real_difference(self) -> None:
        rng = np.random.default_rng(11)
        groups = STAKEHOLDERS[rng.integers(0, 4, 500)]
        x = rng.integers(1, 10, (500, 8)).astype(float)
        x[groups == "ngo", 0] = np.clip(x[groups == "ngo", 0] + 3, 1, 9)
        x[rng.random(x.shape) < 0.05] = nan
        check_against_kruskal(x, groups)
        assert group_divergence(x, groups).pvalue[0] < 1e-6

    @pytest.mark.parametrize("grid", ["narrow", "wide", "widening"])
    def test_large_panel_matches_scipy_kruskal(self, large_panel: PanelFactory, grid: str) -> None:
        shape = (4400, 240)
        x = large_panel(1, 30 if grid == "wide" else 9, shape=shape)
        if grid == "widening":
            x[3000:] = large_panel(0, 30, shape=shape, blank=None, seed=1)[3000:]
        groups = STAKEHOLDERS[np.random.default_rng(2).integers(0, 4, shape[0])]
        check_against_kruskal(x, groups)

    def test_half_points_between_integer_extremes(self) -> None:
        x = np.array([[1.0], [1.5], [2.0], [1.5], [3.0], [2.5]])
        check_against_kruskal(x, np.array(["a", "a", "b", "b", "c", "c"]))

    def test_groups_of_size_one_and_numeric_labels(self) -> None:
        x = np.array([[1.0], [2.0], [9.0]])
        res = group_divergence(x, [3, 1, 2])
        ref = stats.kruskal([1.0], [2.0], [9.0])
        assert res.groups.tolist() == [1, 2, 3]
        assert res.h[0] == pytest.approx(ref.statistic)

    def test_undefined_statements_are_nan(self) -> None:
        x = np.array([[1, nan, 4, 5], [2, nan, 4, 1], [3, nan, 4, nan], [5, nan, 4, nan]])
        res = group_divergence(x, ["a", "a", "b", "b"])
        assert not np.isnan(res.h[0])
        assert np.isnan(res.h[1:]).all()  # no ratings / all identical / one group rated
        assert res.n.tolist() == [4, 0, 4, 2]

    def test_invalid_groups(self) -> None:
        with pytest.raises(ValueError, match="one label per respondent"):
            group_divergence(np.ones((3, 2)), ["a", "b"])
        with pytest.raises(ValueError, match="missing"):
            group_divergence(np.ones((2, 2)), ["a", None])
        with pytest.raises(ValueError, match="missing"):
            group_divergence(np.ones((2, 2)), [1.0, nan])


def planted(
    rows: int = 600, statements: int = 40, k: int = 3, seed: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Three camps with distinct rating profiles, noise, rounding and 5% missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, rows)
    centres = rng.integers(1, 10, (k, statements))
    x = np.clip(np.round(centres[truth] + rng.normal(0, 1.2, (rows, statements))), 1, 9)
    x[rng.random(x.shape) < 0.05] = nan
    return x, truth


class TestOpinionGroups:
    def test_planted_clusters_are_recovered(self) -> None:
        x, truth = planted()
        res = opinion_groups(x)
        assert res.k == 3
        assert adjusted_rand_score(truth, res.labels) > 0.95
        assert res.silhouette >= 0.25
        assert sorted(res.sizes.tolist()) == sorted(np.bincount(truth).tolist())
        assert res.sizes.tolist() == sorted(res.sizes.tolist(), reverse=True)

    def test_repeated_answer_sets_leave_no_group_empty(self) -> None:
        # Two answer sets, each given by five panelists: every k above 2 must put some
        # identical points apart without emptying a group (no division by zero).
        x = np.array([[9.0, 3.0]] * 5 + [[1.0, 3.0]] * 5)
        for seed in range(5):
            res = opinion_groups(x, seed=seed)
            assert res.k == 2
            assert res.sizes.tolist() == [5, 5]
            assert np.isfinite(res.profiles).all()

    def test_silhouette_agrees_with_scikit_learn(self) -> None:
        x, _ = planted()
        res = opinion_groups(x, silhouette_sample=250, seed=3)
        rows = res.silhouette_rows
        assert len(rows) == 250
        assert len(np.unique(rows)) == 250
        expected = silhouette_score(res.scores[rows], res.labels[rows])
        assert res.silhouette == pytest.approx(expected, abs=1e-9)
        assert res.silhouette_by_k[res.k] == pytest.approx(res.silhouette, abs=0.01)

    def test_silhouette_for_every_k_agrees_with_scikit_learn(self) -> None:
        x, _ = planted(rows=120, statements=10)
        res = opinion_groups(x, max_groups=4, min_silhouette=-1.0)
        assert res.silhouette_rows.tolist() == list(range(120))
        assert res.silhouette == pytest.approx(silhouette_score(res.scores, res.labels), abs=1e-9)
        assert set(res.silhouette_by_k) == {2, 3, 4}

    def test_uniform_noise_is_one_group(self) -> None:
        rng = np.random.default_rng(2)
        res = opinion_groups(rng.integers(1, 10, (400, 30)).astype(float))
        assert res.k == 1
        assert np.isnan(res.silhouette)
        assert (res.labels == 0).all()
        assert max(res.silhouette_by_k.values()) < 0.25
        assert res.profiles.shape == (1, 30)

    def test_same_seed_same_result(self) -> None:
        x, _ = planted(seed=8)
        first, again = opinion_groups(x, seed=4), opinion_groups(x, seed=4)
        assert (first.labels == again.labels).all()
        assert first.silhouette == again.silhouette
        assert (first.coordinates == again.coordinates).all()

    def test_profiles_sizes_and_coordinates(self) -> None:
        x, _ = planted(rows=200, statements=12)
        res = opinion_groups(x)
        for g in range(res.k):
            members = x[res.labels == g]
            assert res.sizes[g] == len(members)
            assert res.profiles[g] == pytest.approx(np.nanmean(members, axis=0))
        assert res.coordinates.shape == (200, 2)
        assert (res.coordinates == res.scores[:, :2]).all()
        assert 2 <= res.scores.shape[1] <= 10
        assert (np.diff(res.explained_variance) <= 1e-12).all()
        assert res.explained_variance.sum() <= 1.0 + 1e-12

    def test_coordinates_are_the_principal_components(self) -> None:
        x, _ = planted(rows=150, statements=8)
        res = opinion_groups(x)
        filled = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
        centred = filled - filled.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        reference = centred @ vt[:2].T
        assert np.abs(res.coordinates) == pytest.approx(np.abs(reference), abs=1e-8)
        assert res.explained_variance[:2] == pytest.approx(s[:2] ** 2 / np.sum(s**2))

    def test_wide_matrix_uses_the_respondent_gram_matrix(self) -> None:
        x, truth = planted(rows=30, statements=200, k=2)
        res = opinion_groups(x)
        assert res.k == 2
        assert adjusted_rand_score(truth, res.labels) == 1.0

    def test_degenerate_inputs_give_one_group(self) -> None:
        assert opinion_groups(np.full((20, 4), 5.0)).k == 1  # everyone agrees
        assert opinion_groups([[1.0, 2.0], [9.0, 8.0]]).k == 1  # too few respondents
        column_of_nan = np.column_stack([planted(rows=90)[0], np.full(90, nan)])
        res = opinion_groups(column_of_nan)
        assert np.isnan(res.profiles[:, -1]).all()

    def test_invalid_settings(self) -> None:
        with pytest.raises(ValueError, match="max_groups"):
            opinion_groups(np.ones((5, 2)), max_groups=1)
        with pytest.raises(ValueError, match="min_silhouette"):
            opinion_groups(np.ones((5, 2)), min_silhouette=2.0)
        with pytest.raises(ValueError, match="ratings"):
            opinion_groups(np.ones((2, 2, 2)))
