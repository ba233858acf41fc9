"""Per-statement statistics against independent references.

Each reference below is written plainly from the published definition (or taken from
numpy/scipy), one column at a time, so that it shares no code with the engine's
count-based implementation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import engine
from engine import (
    QUANTILE_METHODS,
    Scale,
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

FAST = settings(max_examples=60, deadline=None)
PanelFactory = Callable[..., np.ndarray]  # the large_panel fixture
NINE = Scale(1, 9)


@st.composite
def ratings_matrices(
    draw: st.DrawFn, low: int = 1, high: int = 9, max_rows: int = 25, max_cols: int = 4
) -> np.ndarray:
    """Integer ratings with NaN holes, ties, and sometimes an all-NaN column."""
    rows = draw(st.integers(1, max_rows))
    cols = draw(st.integers(1, max_cols))
    # a narrow sub-range makes ties and single-valued columns common
    lo = draw(st.integers(low, high))
    hi = draw(st.integers(lo, high))
    values = draw(
        st.lists(st.integers(lo, hi), min_size=rows * cols, max_size=rows * cols).map(
            lambda v: np.array(v, dtype=float).reshape(rows, cols)
        )
    )
    holes = draw(
        st.lists(st.booleans(), min_size=rows * cols, max_size=rows * cols).map(
            lambda v: np.array(v).reshape(rows, cols)
        )
    )
    if draw(st.booleans()):
        holes[:] = False
    values[holes] = np.nan
    return values


def present(column: np.ndarray) -> np.ndarray:
    return column[~np.isnan(column)]


def reference_quantile(x: np.ndarray, q: float, method: str) -> np.ndarray:
    """np.quantile column by column over the non-missing values (what nanquantile does)."""
    out = []
    for j in range(x.shape[1]):
        col = present(x[:, j])
        out.append(np.quantile(col, q, method=method) if col.size else np.nan)
    return np.array(out, dtype=float)


def close(actual: np.ndarray, expected: np.ndarray, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol, equal_nan=True)


# ------------------------------------------------------------------- quartiles


class TestQuartiles:
    @pytest.mark.parametrize("method", QUANTILE_METHODS)
    @FAST
    @given(x=ratings_matrices())
    def test_equals_numpy_for_every_method(self, method: str, x: np.ndarray) -> None:
        q = quartiles(x, method=method)
        for got, p in zip(q, (0.25, 0.5, 0.75), strict=True):
            close(got, reference_quantile(x, p, method))

    @pytest.mark.parametrize("method", QUANTILE_METHODS)
    def test_equals_nanquantile_on_a_matrix(self, method: str) -> None:
        rng = np.random.default_rng(7)
        x = rng.integers(1, 10, size=(40, 6)).astype(float)
        x[rng.random(x.shape) < 0.2] = np.nan
        expected = np.nanquantile(x, [0.25, 0.5, 0.75], axis=0, method=method)
        close(np.array(quartiles(x, method=method)), expected)

    @pytest.mark.parametrize("method", QUANTILE_METHODS)
    @FAST
    @given(
        x=st.lists(
            st.floats(-50, 50, allow_nan=False) | st.just(float("nan")), min_size=1, max_size=30
        )
    )
    def test_non_integer_ratings_take_the_sorting_path(self, method: str, x: list[float]) -> None:
        column = np.array(x)[:, np.newaxis]
        q = quartiles(column, method=method)
        for got, p in zip(q, (0.25, 0.5, 0.75), strict=True):
            close(got, reference_quantile(column, p, method), atol=1e-9)

    def test_method_changes_the_iqr(self) -> None:
        r = [1, 2, 3, 3, 4, 4, 4, 5, 5]
        linear = quartiles(r, method="linear")
        weibull = quartiles(r, method="weibull")
        assert float(linear.q3[0] - linear.q1[0]) == 1.0
        assert float(weibull.q3[0] - weibull.q1[0]) == 2.0

    def test_default_is_weibull(self) -> None:
        r = [1, 2, 3, 3, 4, 4, 4, 5, 5]
        assert quartiles(r).q1.tolist() == quartiles(r, method="weibull").q1.tolist()

    def test_column_without_ratings_is_nan(self) -> None:
        q = quartiles(np.array([[1.0, np.nan], [2.0, np.nan]]))
        assert np.isnan(q.median[1])
        assert q.median[0] == 1.5

    def test_all_missing(self) -> None:
        q = quartiles(np.full((3, 2), np.nan))
        assert np.isnan(np.array(q)).all()

    def test_bad_method_is_named(self) -> None:
        with pytest.raises(ValueError, match="method"):
            quartiles([1, 2], method="spss")  # type: ignore[arg-type]


# ------------------------------------------------------------------- counts


class TestCounts:
    @FAST
    @given(x=ratings_matrices())
    def test_matches_a_plain_count(self, x: np.ndarray) -> None:
        table = counts(x, NINE)
        assert table.shape == (x.shape[1], 9)
        assert table.dtype == np.int64
        for j in range(x.shape[1]):
            col = present(x[:, j])
            assert table[j].tolist() == [int((col == v).sum()) for v in range(1, 10)]

    def test_large_matrix_spans_several_blocks(self) -> None:
        rng = np.random.default_rng(3)
        x = rng.integers(-2, 3, size=(3000, 70)).astype(float)
        x[rng.random(x.shape) < 0.1] = np.nan
        table = counts(x, Scale(-2, 2))
        expected = np.stack([(x == v).sum(axis=0) for v in range(-2, 3)], axis=1)
        assert (table == expected).all()

    @pytest.mark.parametrize("bad", [0.0, 10.0, 7.5, np.inf, -np.inf])
    def test_off_scale_values_are_rejected(self, bad: float) -> None:
        x = np.full((4000, 3), 5.0)
        x[3999, 2] = bad
        with pytest.raises(ValueError, match="ratings has values off the scale"):
            counts(x, NINE)

    def test_value_just_above_the_scale(self) -> None:
        with pytest.raises(ValueError, match="off the scale"):
            counts([1, 2, 3], Scale(1, 2))


class TestLargePanels:
    """Over a million ratings: counted in cache-sized blocks, on several threads."""

    @pytest.mark.parametrize(
        ("low", "high"),
        [(1, 9), (0, 10), (-3, 3), (1000, 1004), (0, 100)],
        ids=["1-9", "0-10", "negative", "far-from-zero", "0-100"],
    )
    def test_counts_match_a_plain_count(
        self, large_panel: PanelFactory, low: int, high: int
    ) -> None:
        x = large_panel(low, high)
        expected = np.stack([(x == v).sum(axis=0) for v in range(low, high + 1)], axis=1)
        assert (counts(x, Scale(low, high)) == expected).all()

    @pytest.mark.parametrize(("low", "high"), [(1, 9), (0, 100)])
    def test_one_statement_many_respondents(
        self, large_panel: PanelFactory, low: int, high: int
    ) -> None:
        x = large_panel(low, high, shape=(3000, 1), blank=None)
        expected = [int((x == v).sum()) for v in range(low, high + 1)]
        assert counts(x[:, 0], Scale(low, high))[0].tolist() == expected

    def test_summarize_matches_the_plain_formulas(self, large_panel: PanelFactory) -> None:
        x = large_panel()
        s = summarize(x, NINE)
        present_n = (~np.isnan(x)).sum(axis=0)
        assert s.n.tolist() == present_n.tolist()
        close(s.mean, np.nanmean(x, axis=0), atol=1e-12)
        close(s.sd, np.nanstd(x, axis=0, ddof=1), atol=1e-12)
        close(s.median, np.nanquantile(x, 0.5, axis=0, method="weibull"))

    @pytest.mark.parametrize("bad", [4.5, 0.0, 12.0, np.inf, -np.inf])
    def test_off_scale_value_in_the_last_block_is_rejected(
        self, large_panel: PanelFactory, bad: float
    ) -> None:
        x = large_panel()
        x[-1, -1] = bad
        with pytest.raises(ValueError, match="off the scale"):
            summarize(x, NINE)

    @pytest.mark.parametrize("method", ["weibull", "linear", "inverted_cdf"])
    def test_quartiles_when_the_range_widens_in_later_rows(
        self, large_panel: PanelFactory, method: str
    ) -> None:
        x = large_panel(4, 6)
        x[700:] = large_panel(-300, 300, blank=None)[700:]
        expected = np.nanquantile(x, [0.25, 0.5, 0.75], axis=0, method=method)
        close(np.array(quartiles(x, method=method)), expected)

    @pytest.mark.parametrize("change", ["fractional", "far apart", "very wide"])
    def test_quartiles_of_panels_that_cannot_be_counted(
        self, large_panel: PanelFactory, change: str
    ) -> None:
        x = large_panel()
        if change == "fractional":
            x[-1, 0] = 2.5
        if change == "far apart":  # no block spans over 4097 values, all together do
            x[350:700] += 3000
            x[700:] += 6000
        if change == "very wide":  # one block spans 10,000 values
            x[-1, 0] = -10_000
        expected = np.nanquantile(x, [0.25, 0.5, 0.75], axis=0, method="weibull")
        close(np.array(quartiles(x)), expected)


# ------------------------------------------------------------------- summarize


def reference_summary(x: np.ndarray, method: str = "weibull") -> dict[str, list[float]]:
    """Every summarize field computed column by column with numpy/scipy directly."""
    out: dict[str, list[float]] = {k: [] for k in ("n", "mean", "sd", "mad", "agree", "disagree")}
    for j in range(x.shape[1]):
        col = present(x[:, j])
        n = col.size
        out["n"].append(n)
        out["mean"].append(float(np.mean(col)) if n else np.nan)
        out["sd"].append(float(np.std(col, ddof=1)) if n >= 2 else np.nan)
        out["mad"].append(float(stats.median_abs_deviation(col)) if n else np.nan)
        out["agree"].append(float(np.mean((col >= 7) & (col <= 9))) if n else np.nan)
        out["disagree"].append(float(np.mean((col >= 1) & (col <= 3))) if n else np.nan)
    return out


class TestSummarize:
    @FAST
    @given(x=ratings_matrices(), method=st.sampled_from(QUANTILE_METHODS))
    def test_fields_match_direct_formulas(self, x: np.ndarray, method: str) -> None:
        s = summarize(x, NINE, quantile_method=method)
        ref = reference_summary(x, method)
        assert s.n.tolist() == ref["n"]
        for name in ("mean", "sd", "mad", "agree", "disagree"):
            close(getattr(s, name), np.array(ref[name]), atol=1e-9)
        close(s.cv, np.array(ref["sd"]) / np.array(ref["mean"]), atol=1e-9)
        close(s.q1, reference_quantile(x, 0.25, method))
        close(s.median, reference_quantile(x, 0.5, method))
        close(s.q3, reference_quantile(x, 0.75, method))
        close(s.iqr, s.q3 - s.q1)
        close(s.p30, reference_quantile(x, 0.3, method))
        close(s.p70, reference_quantile(x, 0.7, method))
        close(s.bimodality, bimodality_coefficient(x), atol=1e-9)
        table = counts(x, NINE)
        assert (s.counts == table).all()
        close(s.tastle_wierman, tastle_wierman(table))
        close(s.van_der_eijk, van_der_eijk(table))
        close(s.leik, leik(table))
        r = rand_ucla(x, method=method)
        for name in ("p30", "p70", "ipr", "iprcp", "ai", "ipras", "di"):
            close(getattr(s, name), getattr(r, name))
        assert s.rand_ucla_class.tolist() == r.classification.tolist()

    def test_shapes_and_dtypes(self) -> None:
        x = np.array([[1, 9, np.nan], [2, 9, np.nan], [3, 8, np.nan]])
        s = summarize(x, NINE)
        assert s.n.dtype == np.int64
        assert s.counts.shape == (3, 9)
        for name in Summary.metric_names():
            value = getattr(s, name)
            assert value.shape == (3,), name
            if name not in ("n", "rand_ucla_class"):
                assert value.dtype == np.float64, name

    def test_one_dimensional_input_is_one_statement(self) -> None:
        s = summarize([7, 8, 9], NINE)
        assert s.n.tolist() == [3]
        assert s.median.tolist() == [8.0]

    def test_arrays_are_read_only(self) -> None:
        s = summarize([7, 8, 9], NINE)
        with pytest.raises(ValueError, match="read-only"):
            s.median[0] = 1.0

    def test_metric_names(self) -> None:
        assert Summary.metric_names() == (
            "n",
            "mean",
            "sd",
            "cv",
            "median",
            "q1",
            "q3",
            "iqr",
            "mad",
            "agree",
            "disagree",
            "tastle_wierman",
            "van_der_eijk",
            "leik",
            "bimodality",
            "p30",
            "p70",
            "ipr",
            "iprcp",
            "ai",
            "ipras",
            "di",
            "rand_ucla_class",
        )

    def test_records_are_json_safe(self) -> None:
        x = np.array([[7, np.nan], [8, np.nan], [9, np.nan]])
        s = summarize(x, NINE, cannot_judge=[0, 2])
        records = s.records()
        text = json.dumps(records, allow_nan=False)
        back = json.loads(text)
        assert back[0]["counts"] == [0, 0, 0, 0, 0, 0, 1, 1, 1]
        assert back[0]["median"] == 8.0
        assert back[0]["n"] == 3
        assert back[1]["median"] is None
        assert back[1]["cannot_judge"] == 2
        assert back[1]["rand_ucla_class"] == ""
        assert set(records[0]) == {*Summary.metric_names(), "counts", "cannot_judge"}
        assert all(type(v) in (int, float, str, list, type(None)) for v in records[0].values())

    def test_method_is_json_safe(self) -> None:
        s = summarize([1, 2], Scale(1, 5), quantile_method="linear", agree=(4, 5), disagree=(1, 2))
        assert json.loads(json.dumps(s.method())) == {
            "scale_low": 1,
            "scale_high": 5,
            "quantile_method": "linear",
            "agree": [4, 5],
            "disagree": [1, 2],
            "cannot_judge_counts": False,
        }

    def test_cannot_judge_joins_the_denominator_only_when_asked(self) -> None:
        x = np.array([7.0, 8, 2, np.nan, np.nan])
        plain = summarize(x, NINE, cannot_judge=[2])
        counted = summarize(x, NINE, cannot_judge=[2], cannot_judge_counts=True)
        assert plain.agree[0] == pytest.approx(2 / 3)
        assert counted.agree[0] == pytest.approx(2 / 5)
        assert counted.disagree[0] == pytest.approx(1 / 5)
        assert counted.n[0] == 3
        assert counted.cannot_judge.tolist() == [2]

    def test_bands_are_inclusive(self) -> None:
        s = summarize([4, 5, 6, 7], Scale(1, 7), agree=(5, 7), disagree=(1, 4))
        assert s.agree[0] == 0.75
        assert s.disagree[0] == 0.25

    def test_summarize_counts_agrees_with_summarize(self) -> None:
        rng = np.random.default_rng(11)
        x = rng.integers(1, 10, size=(30, 5)).astype(float)
        x[rng.random(x.shape) < 0.1] = np.nan
        a = summarize(x, NINE)
        b = summarize_counts(counts(x, NINE), NINE)
        for name in Summary.metric_names():
            assert getattr(a, name).tolist() == getattr(b, name).tolist() or np.allclose(
                getattr(a, name), getattr(b, name), equal_nan=True
            )

    def test_is_exported_from_the_package(self) -> None:
        assert engine.summarize is summarize
        assert "summarize" in engine.__all__


class TestEdgeCases:
    def test_all_panelists_agree(self) -> None:
        s = summarize(np.full((12, 1), 8.0), NINE)
        assert s.iqr[0] == 0
        assert s.tastle_wierman[0] == 1.0
        assert s.van_der_eijk[0] == 1.0
        assert s.leik[0] == 0
        assert s.sd[0] == 0
        assert s.mad[0] == 0
        assert s.di[0] == 0
        assert np.isnan(s.bimodality[0])  # skewness is undefined without spread
        assert s.rand_ucla_class[0] == "appropriate"

    def test_single_rating(self) -> None:
        s = summarize([3], NINE)
        assert s.n[0] == 1
        assert s.median[0] == 3
        assert s.q1[0] == 3
        assert s.q3[0] == 3
        assert s.mean[0] == 3
        assert np.isnan(s.sd[0])
        assert np.isnan(s.cv[0])
        assert s.tastle_wierman[0] == 1.0
        assert s.van_der_eijk[0] == 1.0
        assert s.leik[0] == 0
        assert s.rand_ucla_class[0] == "inappropriate"

    def test_column_without_ratings(self) -> None:
        # filterwarnings=error: any RuntimeWarning would fail this test
        x = np.array([[5.0, np.nan], [6.0, np.nan]])
        s = summarize(x, NINE, cannot_judge=[0, 2], cannot_judge_counts=False)
        assert s.n[1] == 0
        assert s.counts[1].sum() == 0
        for name in Summary.metric_names():
            if name not in ("n", "rand_ucla_class"):
                assert np.isnan(getattr(s, name)[1]), name
        assert s.rand_ucla_class[1] == ""

    def test_column_without_ratings_but_cannot_judge_counted(self) -> None:
        s = summarize([np.nan, np.nan], NINE, cannot_judge=[2], cannot_judge_counts=True)
        assert s.agree[0] == 0.0
        assert s.n[0] == 0

    def test_two_point_scale(self) -> None:
        s = summarize([0, 0, 1, 1], Scale(0, 1), agree=(1, 1), disagree=(0, 0))
        assert s.median[0] == 0.5
        assert s.agree[0] == 0.5
        assert s.tastle_wierman[0] == 0.0
        assert s.leik[0] == 1.0
        # with two points there are no triples: A is 1 for unanimity and 0 otherwise
        assert s.van_der_eijk[0] == 0.0
        one = summarize([1, 1, 1], Scale(0, 1), agree=(1, 1), disagree=(0, 0))
        assert one.van_der_eijk[0] == 1.0
        assert one.tastle_wierman[0] == 1.0

    def test_negative_scale(self) -> None:
        s = summarize([-2, 0, 0, 2], Scale(-2, 2), agree=(1, 2), disagree=(-2, -1))
        assert s.mean[0] == 0
        assert np.isnan(s.cv[0])
        assert s.agree[0] == 0.25

    def test_all_missing_matrix(self) -> None:
        s = summarize(np.full((4, 3), np.nan), NINE)
        assert s.n.tolist() == [0, 0, 0]
        assert np.isnan(s.median).all()


class TestValidation:
    def test_wrong_shape(self) -> None:
        with pytest.raises(ValueError, match="ratings must be 1-D or 2-D"):
            summarize(np.ones((2, 2, 2)), NINE)

    def test_empty(self) -> None:
        with pytest.raises(ValueError, match="ratings is empty"):
            summarize(np.empty((0, 3)), NINE)

    def test_not_numeric(self) -> None:
        with pytest.raises(ValueError, match="ratings must be numeric"):
            summarize([["a", "b"]], NINE)

    def test_off_scale(self) -> None:
        with pytest.raises(ValueError, match="off the scale 1-9: e.g. 10"):
            summarize([1, 10], NINE)

    def test_bad_method(self) -> None:
        with pytest.raises(ValueError, match="quantile_method"):
            summarize([1, 2], NINE, quantile_method="R7")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("option", "band"), [("agree", (7, 10)), ("disagree", (0, 3)), ("agree", (9, 7))]
    )
    def test_band_outside_the_scale(self, option: str, band: tuple[int, int]) -> None:
        with pytest.raises(ValueError, match=option):
            summarize([1, 2], NINE, **{option: band})  # type: ignore[arg-type]

    def test_default_bands_need_a_nine_point_scale(self) -> None:
        with pytest.raises(ValueError, match="agree"):
            summarize([1, 2], Scale(1, 5))

    @pytest.mark.parametrize("cj", [[1, 2], [-1], [0.5], [[1]]])
    def test_bad_cannot_judge(self, cj: list[float]) -> None:
        with pytest.raises(ValueError, match="cannot_judge"):
            summarize([1, 2], NINE, cannot_judge=cj)

    def test_scale_must_be_a_scale(self) -> None:
        with pytest.raises(ValueError, match="scale"):
            summarize([1, 2], (1, 9))  # type: ignore[arg-type]

    def test_bad_counts_table(self) -> None:
        with pytest.raises(ValueError, match="counts"):
            tastle_wierman([[1, -1, 2]])
        with pytest.raises(ValueError, match="counts"):
            leik([[3]])
        with pytest.raises(ValueError, match="counts"):
            summarize_counts([1, 2, 3], NINE)


# ----------------------------------------------------- ordinal consensus measures


def plain_tastle_wierman(freq: list[int]) -> float:
    n = sum(freq)
    k = len(freq)
    mu = sum((i + 1) * f for i, f in enumerate(freq)) / n
    total = 0.0
    for i, f in enumerate(freq):
        if f:
            total += f / n * math.log2(1 - abs((i + 1) - mu) / (k - 1))
    return 1 + total


def plain_pattern_agreement(pattern: list[int]) -> float:
    k = len(pattern)
    tu = tdu = 0
    for a in range(k):
        for b in range(a + 1, k):
            for c in range(b + 1, k):
                triple = (pattern[a], pattern[b], pattern[c])
                if triple == (1, 0, 1):
                    tdu += 1
                elif triple in ((1, 1, 0), (0, 1, 1)):
                    tu += 1
    u = 1.0 if tu + tdu == 0 else ((k - 2) * tu - (k - 1) * tdu) / ((k - 2) * (tu + tdu))
    s = sum(pattern)
    return u * (1 - (s - 1) / (k - 1))


def plain_van_der_eijk(freq: list[int]) -> float:
    n = sum(freq)
    left = list(freq)
    total = 0.0
    while any(left):
        m = min(v for v in left if v > 0)
        pattern = [1 if v > 0 else 0 for v in left]
        total += m * sum(pattern) / n * plain_pattern_agreement(pattern)
        left = [v - m * p for v, p in zip(left, pattern, strict=True)]
    return total


def plain_leik(freq: list[int]) -> float:
    n = sum(freq)
    k = len(freq)
    cumulative = 0.0
    total = 0.0
    for f in freq[:-1]:
        cumulative += f / n
        total += cumulative if cumulative <= 0.5 else 1 - cumulative
    return 2 * total / (k - 1)


frequency_tables = st.integers(2, 9).flatmap(
    lambda k: st.lists(st.lists(st.integers(0, 12), min_size=k, max_size=k), min_size=1, max_size=6)
)


class TestOrdinalMeasures:
    @FAST
    @given(table=frequency_tables)
    def test_against_plain_definitions(self, table: list[list[int]]) -> None:
        tw, vde, lk = tastle_wierman(table), van_der_eijk(table), leik(table)
        for i, row in enumerate(table):
            if sum(row) == 0:
                assert np.isnan(tw[i])
                assert np.isnan(vde[i])
                assert np.isnan(lk[i])
                continue
            assert tw[i] == pytest.approx(plain_tastle_wierman(row), abs=1e-12)
            assert vde[i] == pytest.approx(plain_van_der_eijk(row), abs=1e-12)
            assert lk[i] == pytest.approx(plain_leik(row), abs=1e-12)

    def test_published_agrmt_examples(self) -> None:
        v = [30, 40, 210, 130, 530, 50, 10]
        assert tastle_wierman(v)[0] == pytest.approx(0.7256876, abs=5e-8)
        assert van_der_eijk(v)[0] == pytest.approx(0.6113333, abs=5e-8)
        assert leik(v)[0] == pytest.approx(0.287, abs=5e-4)

    def test_extremes(self) -> None:
        assert van_der_eijk([5, 5, 5, 5, 5])[0] == pytest.approx(0.0)
        assert van_der_eijk([4, 0, 0, 0, 4])[0] == pytest.approx(-1.0)
        assert tastle_wierman([4, 0, 0, 0, 4])[0] == pytest.approx(0.0)
        assert leik([4, 0, 0, 0, 4])[0] == pytest.approx(1.0)

    def test_tastle_wierman_is_shift_invariant(self) -> None:
        a = summarize([1, 2, 2, 3], Scale(1, 5), agree=(4, 5), disagree=(1, 2))
        b = summarize([3, 4, 4, 5], Scale(3, 7), agree=(6, 7), disagree=(3, 4))
        assert a.tastle_wierman[0] == b.tastle_wierman[0]


# --------------------------------------------------------------------- bimodality


class TestBimodality:
    @FAST
    @given(x=ratings_matrices(max_rows=30))
    def test_against_scipy(self, x: np.ndarray) -> None:
        got = bimodality_coefficient(x)
        for j in range(x.shape[1]):
            col = present(x[:, j])
            if col.size < 4 or np.all(col == col[0]):
                assert np.isnan(got[j])
                continue
            n = col.size
            g1 = stats.skew(col, bias=False)
            g2 = stats.kurtosis(col, bias=False)
            expected = (g1**2 + 1) / (g2 + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
            assert got[j] == pytest.approx(expected, rel=1e-9)

    def test_non_integer_values(self) -> None:
        x = np.array([0.5, 1.25, 3.0, 7.75, 8.0, 8.5])
        expected = (stats.skew(x, bias=False) ** 2 + 1) / (
            stats.kurtosis(x, bias=False) + 3 * 25 / (4 * 3)
        )
        assert bimodality_coefficient(x)[0] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------- RAND/UCLA


class TestRandUcla:
    def test_bmj_open_2012_example(self) -> None:
        r = rand_ucla([4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9])
        assert (r.p30[0], r.p70[0], r.ipr[0], r.iprcp[0]) == (7, 8, 1, 7.5)
        assert r.ai[0] == 2.5
        assert r.ipras[0] == pytest.approx(6.1)
        assert not r.disagreement[0]
        assert r.classification[0] == "appropriate"

    @pytest.mark.parametrize("method", QUANTILE_METHODS)
    def test_bmj_open_example_holds_for_every_method(self, method: str) -> None:
        r = rand_ucla([4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9], method=method)
        assert (r.p30[0], r.p70[0]) == (7, 8)

    @pytest.mark.parametrize("method", ["weibull", "linear", "hazen", "nearest"])
    @FAST
    @given(x=ratings_matrices())
    def test_against_direct_formulas(self, method: str, x: np.ndarray) -> None:
        r = rand_ucla(x, method=method)
        for j in range(x.shape[1]):
            col = present(x[:, j])
            if col.size == 0:
                assert r.classification[j] == ""
                assert np.isnan(r.di[j])
                continue
            p30, p70 = np.percentile(col, [30, 70], method=method)
            median = np.quantile(col, 0.5, method=method)
            ipr = p70 - p30
            ipras = 2.35 + 1.5 * abs(5 - (p30 + p70) / 2)
            assert r.ipr[j] == pytest.approx(ipr, abs=1e-12)
            assert r.ipras[j] == pytest.approx(ipras, abs=1e-12)
            assert r.di[j] == pytest.approx(ipr / ipras, abs=1e-12)
            if ipr > ipras:
                expected = "uncertain"
            elif median >= 7:
                expected = "appropriate"
            elif median <= 3:
                expected = "inappropriate"
            else:
                expected = "uncertain"
            assert r.classification[j] == expected

    def test_disagreement_makes_it_uncertain(self) -> None:
        r = rand_ucla([1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9])
        assert r.disagreement[0]
        assert r.di[0] > 1
        assert r.classification[0] == "uncertain"

    def test_middle_medians_are_uncertain(self) -> None:
        r = rand_ucla(np.array([[3, 6], [4, 7]]), method="linear")
        assert r.median.tolist() == [3.5, 6.5]
        assert r.classification.tolist() == ["uncertain", "uncertain"]

    def test_other_scales_are_rescaled_to_one_to_nine(self) -> None:
        # 1-5 ratings r map to 1-9 as 2r - 1; the disagreement index is unitless
        x = np.array([[1, 2, 4], [2, 2, 5], [5, 3, 5], [5, 4, 5], [1, 3, 4]], dtype=float)
        five = rand_ucla(x, scale=Scale(1, 5))
        nine = rand_ucla(2 * x - 1)
        close(five.di, nine.di)
        close(2 * five.ipras, nine.ipras)
        assert five.classification.tolist() == nine.classification.tolist()

    def test_summary_class_matches(self) -> None:
        s = summarize([[8, 2, 5]], NINE)
        assert s.rand_ucla_class.tolist() == ["appropriate", "inappropriate", "uncertain"]


# --------------------------------------------------------------------- median CI


def binomial_interval(values: list[float], confidence: float) -> tuple[float, float, float]:
    """The narrowest symmetric order-statistic interval, from exact binomial sums."""
    x = sorted(values)
    n = len(x)
    best = None
    for j in range(1, n // 2 + 1):
        tail = sum(Fraction(math.comb(n, i), 2**n) for i in range(j))
        coverage = 1 - 2 * tail
        if coverage >= Fraction(confidence).limit_denominator(10**12):
            best = (x[j - 1], x[n - j], float(coverage))
    return best if best else (math.nan, math.nan, math.nan)


class TestMedianCI:
    @pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
    @FAST
    @given(x=ratings_matrices(max_rows=40))
    def test_against_exact_binomial(self, confidence: float, x: np.ndarray) -> None:
        ci = median_ci(x, confidence)
        for j in range(x.shape[1]):
            low, high, coverage = binomial_interval(present(x[:, j]).tolist(), confidence)
            close(np.array([ci.low[j], ci.high[j]]), np.array([low, high]))
            close(np.array([ci.coverage[j]]), np.array([coverage]), atol=1e-12)

    def test_too_few_ratings(self) -> None:
        ci = median_ci([1, 2, 3, 4, 5])  # best coverage 1 - 2/32 = 0.9375 < 0.95
        assert np.isnan(ci.low[0])
        assert np.isnan(ci.high[0])
        assert np.isnan(ci.coverage[0])
        six = median_ci([1, 2, 3, 4, 5, 6])
        assert (six.low[0], six.high[0]) == (1, 6)
        assert six.coverage[0] == pytest.approx(1 - 2 / 64)

    @pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "0.95", True])
    def test_bad_confidence(self, confidence: object) -> None:
        with pytest.raises(ValueError, match="confidence"):
            median_ci([1, 2, 3], confidence)  # type: ignore[arg-type]

    def test_non_integer_values(self) -> None:
        values = [0.1 * i**2 for i in range(20)]
        ci = median_ci(values)
        low, high, coverage = binomial_interval(values, 0.95)
        assert (ci.low[0], ci.high[0]) == (low, high)
