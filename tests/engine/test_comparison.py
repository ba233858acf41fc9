"""Mann-Whitney per statement, attrition and the feedback effect against scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from engine import attrition, feedback_effect, mann_whitney, paired_change

nan = np.nan
FAST = settings(max_examples=80, deadline=None)


@st.composite
def two_groups(draw: st.DrawFn, fractional: bool = False) -> tuple[np.ndarray, np.ndarray]:
    statements = draw(st.integers(1, 4))
    high = draw(st.integers(2, 9))

    def group(rows: int) -> np.ndarray:
        x = draw(hnp.arrays(np.int64, (rows, statements), elements=st.integers(1, high)))
        x = x.astype(float) / (3.0 if fractional else 1.0)
        holes = draw(hnp.arrays(np.bool_, x.shape, elements=st.booleans()))
        x[holes & draw(st.booleans())] = nan
        return x

    return group(draw(st.integers(0, 12))), group(draw(st.integers(0, 12)))


def scipy_columns(a: np.ndarray, b: np.ndarray) -> list[tuple[float, float] | None]:
    out: list[tuple[float, float] | None] = []
    for j in range(a.shape[1]):
        x, y = a[:, j][~np.isnan(a[:, j])], b[:, j][~np.isnan(b[:, j])]
        if not (x.size and y.size):
            out.append(None)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.mannwhitneyu(x, y, method="asymptotic")
        out.append((float(res.statistic), float(res.pvalue)))
    return out


class TestMannWhitney:
    @FAST
    @given(two_groups())
    def test_equals_scipy_per_statement(self, groups: tuple[np.ndarray, np.ndarray]) -> None:
        a, b = groups
        res = mann_whitney(a, b)
        for j, expected in enumerate(scipy_columns(a, b)):
            assert res.n_a[j] == (~np.isnan(a[:, j])).sum()
            assert res.n_b[j] == (~np.isnan(b[:, j])).sum()
            if expected is None:
                assert np.isnan(res.u[j])
                assert np.isnan(res.pvalue[j])
                assert np.isnan(res.effect[j])
                continue
            u, p = expected
            assert res.u[j] == pytest.approx(u, abs=1e-9)
            assert res.pvalue[j] == pytest.approx(p, rel=1e-9, abs=1e-15)
            assert res.effect[j] == pytest.approx(2 * u / (res.n_a[j] * res.n_b[j]) - 1)
            assert res.median_a[j] == np.median(a[:, j][~np.isnan(a[:, j])])
            assert res.median_b[j] == np.median(b[:, j][~np.isnan(b[:, j])])

    @FAST
    @given(two_groups(fractional=True))
    def test_non_integer_ratings_take_the_general_path(
        self, groups: tuple[np.ndarray, np.ndarray]
    ) -> None:
        a, b = groups
        res = mann_whitney(a, b)
        for j, expected in enumerate(scipy_columns(a, b)):
            if expected is not None:
                assert res.u[j] == pytest.approx(expected[0], abs=1e-9)
                assert res.pvalue[j] == pytest.approx(expected[1], rel=1e-9, abs=1e-15)

    def test_every_rating_tied_gives_p_one(self) -> None:
        res = mann_whitney([5, 5], [5, 5, 5])
        assert res.pvalue.tolist() == [1.0]
        assert res.effect.tolist() == [0.0]

    def test_shapes_are_checked(self) -> None:
        with pytest.raises(ValueError, match="same statements"):
            mann_whitney(np.ones((2, 2)), np.ones((2, 3)))
        with pytest.raises(ValueError, match="a must be"):
            mann_whitney(np.ones((2, 2, 2)), np.ones((2, 2)))
        with pytest.raises(ValueError, match="infinite"):
            mann_whitney([np.inf], [1.0])


class TestAttrition:
    def test_dropouts_against_stayers(self) -> None:
        rng = np.random.default_rng(2)
        previous = rng.integers(1, 10, size=(60, 6)).astype(float)
        stayed = rng.random(60) < 0.7
        previous[~stayed, 0] = rng.integers(1, 3, (~stayed).sum())  # dropouts rated low
        res = attrition(previous, stayed)
        assert (res.dropped, res.stayed) == ((~stayed).sum(), stayed.sum())
        for j, (u, p) in enumerate(scipy_columns(previous[~stayed], previous[stayed])):  # type: ignore[misc]
            assert res.test.u[j] == pytest.approx(u)
            assert res.test.pvalue[j] == pytest.approx(p, rel=1e-9)
        assert res.flagged[0]
        assert res.test.effect[0] < -0.5
        expected = (res.test.pvalue < 0.05) & (np.abs(res.test.effect) >= 0.3)
        np.testing.assert_array_equal(res.flagged, expected)

    def test_nobody_dropped(self) -> None:
        res = attrition([[5, 6], [7, 8]], [True, True])
        assert res.dropped == 0
        assert np.isnan(res.test.pvalue).all()
        assert not res.flagged.any()

    def test_a_large_but_tiny_difference_is_not_flagged(self) -> None:
        rng = np.random.default_rng(4)
        previous = rng.integers(1, 10, size=(20_000, 1)).astype(float)
        stayed = np.arange(20_000) % 2 == 0
        previous[~stayed] = np.minimum(previous[~stayed] + (rng.random((10_000, 1)) < 0.1), 9)
        res = attrition(previous, stayed)
        assert res.test.pvalue[0] < 0.05
        assert not res.flagged[0]
        assert attrition(previous, stayed, min_effect=0.01).flagged[0]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"stayed": [True]}, "stayed"),
            ({"stayed": [True, 2]}, "stayed"),
            ({"stayed": [True, False], "alpha": 0}, "alpha"),
            ({"stayed": [True, False], "min_effect": 1.5}, "min_effect"),
        ],
    )
    def test_bad_input(self, kwargs: dict, match: str) -> None:
        with pytest.raises(ValueError, match=match):
            attrition([[5], [6]], **kwargs)


class TestFeedbackEffect:
    def test_informed_answers_against_blind_ones(self) -> None:
        rng = np.random.default_rng(3)
        blind = rng.integers(1, 10, size=(50, 3)).astype(float)
        informed = np.where(rng.random(blind.shape) < 0.4, np.minimum(blind + 2, 9), nan)
        res = feedback_effect(blind, informed)
        expected = scipy_columns(informed, blind)
        for j in range(3):
            assert expected[j] is not None
            assert res.test.u[j] == pytest.approx(expected[j][0])  # type: ignore[index]
            assert res.median_shift[j] == np.nanmedian(informed[:, j]) - np.median(blind[:, j])
        change = paired_change(blind, informed)
        np.testing.assert_array_equal(res.pairs, change.pairs)
        np.testing.assert_allclose(res.changed, change.changed)
        assert (res.test.effect > 0).all()

    def test_nobody_revised(self) -> None:
        res = feedback_effect([[5], [6]], [[nan], [nan]])
        assert res.pairs.tolist() == [0]
        assert np.isnan(res.changed).all()
        assert np.isnan(res.median_shift).all()

    def test_shapes_must_match(self) -> None:
        with pytest.raises(ValueError, match="same shape"):
            feedback_effect([[5, 6]], [[5]])
