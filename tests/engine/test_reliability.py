"""Kendall's W, Fleiss' kappa and Krippendorff's alpha against independent references."""

from __future__ import annotations

from collections.abc import Callable

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from engine.reliability import fleiss_kappa, kendalls_w, krippendorff_alpha

nan = np.nan
FAST = settings(max_examples=50, deadline=None)
PanelFactory = Callable[..., np.ndarray]  # the large_panel fixture

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

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
WIKIPEDIA_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders x 12 units.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)


@st.composite
def ratings(
    draw: st.DrawFn,
    *,
    rows: tuple[int, int] = (1, 20),
    cols: tuple[int, int] = (1, 7),
    high: int = 5,
    missing: bool = True,
    fractional: bool = False,
) -> np.ndarray:
    """A ratings matrix with ties, optionally NaN, optionally on a non-integer grid."""
    m = draw(st.integers(*rows))
    n = draw(st.integers(*cols))
    x = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(1, high))).astype(float)
    if fractional:
        x = x / 2.0 + 0.25
    if missing:
        holes = draw(hnp.arrays(np.bool_, (m, n), elements=st.booleans()))
        x[holes & draw(st.booleans())] = nan
    return x


def reference_w(x: np.ndarray) -> tuple[float, float]:
    """W and chi2 straight from the definition, ranking with scipy.stats.rankdata."""
    x = x[~np.isnan(x).any(axis=1)]
    m, n = x.shape
    ranks = stats.rankdata(x, axis=1)
    rank_sums = ranks.sum(axis=0)
    s = np.sum((rank_sums - m * (n + 1) / 2) ** 2)
    ties = 0.0
    for row in x:
        _, t = np.unique(row, return_counts=True)
        ties += np.sum(t**3 - t)
    w = 12 * s / (m**2 * (n**3 - n) - m * ties)
    return w, m * (n - 1) * w


class TestKendallsW:
    def test_published_example(self) -> None:
        res = kendalls_w(PROJECTS.T)
        assert res.w == pytest.approx(0.793939, abs=5e-7)
        assert res.chi2 == pytest.approx(28.5818, abs=5e-5)
        assert res.df == 9
        assert res.pvalue == pytest.approx(stats.chi2.sf(res.chi2, 9), rel=1e-12)
        assert (res.raters, res.objects, res.dropped) == (4, 10, 0)

    def test_chi2_is_friedmans_statistic(self) -> None:
        x = np.array([[1, 2, 2, 3, 5], [2, 2, 3, 4, 4], [1, 1, 1, 5, 3], [3, 2, 5, 4, 1.0]])
        friedman = stats.friedmanchisquare(*x.T)
        res = kendalls_w(x)
        assert res.chi2 == pytest.approx(friedman.statistic, rel=1e-12)
        assert res.pvalue == pytest.approx(friedman.pvalue, rel=1e-12)

    @FAST
    @given(ratings(rows=(1, 15), cols=(2, 8)))
    def test_matches_rankdata_definition(self, x: np.ndarray) -> None:
        complete = x[~np.isnan(x).any(axis=1)]
        res = kendalls_w(x)
        assert res.dropped == x.shape[0] - complete.shape[0]
        all_tied = complete.size == 0 or (complete == complete[:, :1]).all()
        if all_tied:
            assert np.isnan(res.w)
            return
        w, chi2 = reference_w(x)
        assert res.w == pytest.approx(w, rel=1e-10)
        assert res.chi2 == pytest.approx(chi2, rel=1e-10)

    @FAST
    @given(ratings(rows=(1, 15), cols=(2, 8), missing=False, fractional=True))
    def test_non_integer_values_take_the_sorting_path(self, x: np.ndarray) -> None:
        assume(not (x == x[:, :1]).all())
        w, _ = reference_w(x)
        assert kendalls_w(x).w == pytest.approx(w, rel=1e-10)
        assert kendalls_w(x).w == pytest.approx(kendalls_w((x - 0.25) * 2).w, rel=1e-12)

    @FAST
    @given(ratings(rows=(1, 15), cols=(2, 30), high=60))
    def test_wide_range_matches_rankdata_definition(self, x: np.ndarray) -> None:
        complete = x[~np.isnan(x).any(axis=1)]
        assume(complete.size and not (complete == complete[:, :1]).all())
        w, chi2 = reference_w(x)
        assert kendalls_w(x).w == pytest.approx(w, rel=1e-10)
        assert kendalls_w(x).chi2 == pytest.approx(chi2, rel=1e-10)

    @pytest.mark.parametrize(
        "grid", ["narrow", "wide", "widening", "far apart", "fractional", "fractional wide"]
    )
    def test_large_panel_matches_rankdata_definition(
        self, large_panel: PanelFactory, grid: str
    ) -> None:
        shape = (1200, 880)
        high = 60 if "wide" in grid else 9
        x = large_panel(1, high, shape=shape, missing=0.0, blank=None)
        if grid == "widening":
            x[800:] = large_panel(1, 60, shape=shape, missing=0.0, blank=None, seed=1)[800:]
        if grid == "far apart":  # blocks of raters on 1..9, 501..509 and 1001..1009
            x[400:800] += 500
            x[800:] += 1000
        if grid.startswith("fractional"):
            x[-1, 0] = 4.5
        x[100:700, 7] = nan  # whole blocks of raters with a missing rating
        rng = np.random.default_rng(5)
        x[rng.choice(shape[0], 60, replace=False), rng.integers(0, shape[1], 60)] = nan
        dropped = int(np.isnan(x).any(axis=1).sum())
        res = kendalls_w(x)
        w, chi2 = reference_w(x)
        assert (res.raters, res.dropped) == (shape[0] - dropped, dropped)
        assert res.w == pytest.approx(w, rel=1e-10)
        assert res.chi2 == pytest.approx(chi2, rel=1e-10)

    def test_negative_and_half_point_ratings(self) -> None:
        x = PROJECTS.T.astype(float)
        assert kendalls_w(x - 20).w == pytest.approx(kendalls_w(x).w, rel=1e-12)
        halves = np.array([[1, 1.5, 2, 2], [2, 1.5, 1, 2], [1, 2, 2, 1.5]])  # integer extremes
        assert kendalls_w(halves).w == pytest.approx(reference_w(halves)[0], rel=1e-12)

    def test_rows_with_missing_values_are_dropped_and_counted(self) -> None:
        x = np.vstack([PROJECTS.T, [1, 2, 3, nan, 5, 6, 7, 8, 9, 10]])
        res = kendalls_w(x)
        assert (res.raters, res.dropped) == (4, 1)
        assert res.w == pytest.approx(kendalls_w(PROJECTS.T).w)

    def test_perfect_agreement_and_single_rater(self) -> None:
        assert kendalls_w([[1, 2, 3], [1, 2, 3]]).w == pytest.approx(1.0)
        assert kendalls_w([[3, 1, 2]]).w == pytest.approx(1.0)

    def test_undefined_cases_are_nan_without_warnings(self) -> None:
        assert np.isnan(kendalls_w([[4, 4, 4], [2, 2, 2]]).w)  # no variation
        assert np.isnan(kendalls_w([[1], [2], [3]]).w)  # one object
        for x in ([[1, nan], [nan, 2]], [[1.5, nan], [nan, 2]]):  # every rater dropped
            res = kendalls_w(x)
            assert np.isnan(res.w)
            assert (res.raters, res.dropped) == (0, 2)

    def test_invalid_input_names_the_parameter(self) -> None:
        with pytest.raises(ValueError, match="ratings"):
            kendalls_w(np.zeros((2, 2, 2)))
        with pytest.raises(ValueError, match="ratings"):
            kendalls_w([])


@st.composite
def count_tables(draw: st.DrawFn) -> np.ndarray:
    subjects = draw(st.integers(1, 12))
    categories = draw(st.integers(2, 6))
    raters = draw(st.integers(2, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    probabilities = np.random.default_rng(seed).dirichlet(np.ones(categories))
    return np.random.default_rng(seed).multinomial(raters, probabilities, size=subjects)


class TestFleissKappa:
    def test_wikipedia_worked_example(self) -> None:
        res = fleiss_kappa(WIKIPEDIA_TABLE)
        assert round(res.kappa, 3) == 0.210
        assert round(res.observed, 3) == 0.378
        assert round(res.expected, 3) == 0.213
        assert (res.subjects, res.raters) == (10, 14)

    @FAST
    @given(count_tables())
    def test_matches_statsmodels(self, table: np.ndarray) -> None:
        res = fleiss_kappa(table)
        if res.expected == 1.0:
            assert np.isnan(res.kappa)
            return
        assert res.kappa == pytest.approx(statsmodels_fleiss_kappa(table), rel=1e-10, abs=1e-12)

    def test_all_in_one_category_is_nan(self) -> None:
        assert np.isnan(fleiss_kappa([[3, 0], [3, 0]]).kappa)

    def test_perfect_agreement_is_one(self) -> None:
        assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]).kappa == pytest.approx(1.0)

    @pytest.mark.parametrize(
        ("table", "message"),
        [
            ([[1, 2], [2, 2]], "same number of raters"),
            ([[1, -1], [0, 0]], "non-negative"),
            ([[1.5, 0.5], [1, 1]], "integers"),
            ([[1, nan], [1, 1]], "NaN"),
            ([[1, 0], [0, 1]], "at least 2 raters"),
        ],
    )
    def test_invalid_tables(self, table: list[list[float]], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            fleiss_kappa(table)


LEVEL_NAMES = ["nominal", "ordinal", "interval", "ratio"]


class TestKrippendorffAlpha:
    @pytest.mark.parametrize(
        ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
    )
    def test_krippendorff_2011_example(self, level: str, published: float) -> None:
        res = krippendorff_alpha(KRIPPENDORFF_2011, level)  # type: ignore[arg-type]
        assert round(res.alpha, 3) == published
        assert res.alpha == pytest.approx(
            krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement=level),
            rel=1e-12,
        )
        assert (res.pairable, res.units) == (40, 11)

    def test_ratio_level_matches_package(self) -> None:
        res = krippendorff_alpha(KRIPPENDORFF_2011, "ratio")
        assert res.alpha == pytest.approx(0.797, abs=5e-4)
        assert res.alpha == pytest.approx(
            krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement="ratio"),
            rel=1e-12,
        )

    @FAST
    @given(
        ratings(rows=(1, 8), cols=(1, 12), high=6) | ratings(rows=(1, 8), cols=(1, 12), high=50),
        st.sampled_from(LEVEL_NAMES),
    )
    def test_matches_krippendorff_package(self, x: np.ndarray, level: str) -> None:
        res = krippendorff_alpha(x, level)  # type: ignore[arg-type]
        if np.isnan(res.alpha):
            pairable = (~np.isnan(x)).sum(axis=0) >= 2
            values = x[:, pairable]
            values = values[~np.isnan(values)]
            assert values.size < 2 or (values == values[0]).all()
            return
        reference = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
        assert res.alpha == pytest.approx(reference, rel=1e-9, abs=1e-12)

    @FAST
    @given(ratings(rows=(2, 8), cols=(2, 12), fractional=True), st.sampled_from(LEVEL_NAMES))
    def test_non_integer_values_match_package(self, x: np.ndarray, level: str) -> None:
        res = krippendorff_alpha(x, level)  # type: ignore[arg-type]
        assume(not np.isnan(res.alpha))
        reference = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
        assert res.alpha == pytest.approx(reference, rel=1e-9, abs=1e-12)

    @pytest.mark.parametrize("level", LEVEL_NAMES[:3])
    def test_negative_and_half_point_ratings(self, level: str) -> None:
        for x in (KRIPPENDORFF_2011 - 3, np.where(KRIPPENDORFF_2011 == 3, 2.5, KRIPPENDORFF_2011)):
            expected = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
            res = krippendorff_alpha(x, level)  # type: ignore[arg-type]
            assert res.alpha == pytest.approx(expected, rel=1e-12)

    @pytest.mark.parametrize("level", LEVEL_NAMES[:3])
    @pytest.mark.parametrize(
        "grid", ["narrow", "wide", "widening", "far apart", "fractional", "fractional wide"]
    )
    def test_large_panel_matches_package(
        self, large_panel: PanelFactory, level: str, grid: str
    ) -> None:
        x = large_panel(1, 40 if "wide" in grid else 9)
        if grid == "widening":
            x[700:] = large_panel(1, 40, blank=None, seed=1)[700:]
        if grid == "far apart":  # no block spans over 1100 values, all together do
            x[350:700] += 700
            x[700:] += 1400
        if grid.startswith("fractional"):
            x[-1, -1] = 2.5
        expected = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
        res = krippendorff_alpha(x, level)  # type: ignore[arg-type]
        assert res.alpha == pytest.approx(expected, rel=1e-9)
        assert res.pairable == int((~np.isnan(x)).sum())

    def test_integers_too_far_apart_to_count(self) -> None:
        x = np.array([[1.0, 2.0, 90_000.0], [1.0, 3.0, 90_000.0], [2.0, 2.0, nan]])
        for level in ("nominal", "ordinal", "interval"):
            expected = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
            res = krippendorff_alpha(x, level)  # type: ignore[arg-type]
            assert res.alpha == pytest.approx(expected, rel=1e-12)

    def test_missing_values_and_empty_units_are_ignored(self) -> None:
        with_empty = np.hstack([KRIPPENDORFF_2011, np.full((4, 1), nan)])
        assert krippendorff_alpha(with_empty).alpha == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF_2011).alpha
        )

    def test_perfect_agreement_is_one(self) -> None:
        assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]]).alpha == pytest.approx(1.0)

    def test_undefined_cases_are_nan(self) -> None:
        assert np.isnan(krippendorff_alpha([[1, 2, 3]]).alpha)  # a single rater
        assert np.isnan(krippendorff_alpha([[2, 2], [2, 2]]).alpha)  # no variation
        assert np.isnan(krippendorff_alpha([[nan, nan], [nan, nan]]).alpha)  # no ratings

    def test_invalid_input(self) -> None:
        with pytest.raises(ValueError, match="level"):
            krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-negative"):
            krippendorff_alpha([[-1, 2], [1, 2]], "ratio")
        with pytest.raises(ValueError, match="ratings"):
            krippendorff_alpha([[1, np.inf], [1, 2]])
