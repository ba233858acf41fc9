"""Paired change between rounds and the stopping rule, against scipy and by hand."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from engine.change import paired_change, round_stability, stopping
from engine.consensus import ConsensusRule
from engine.scale import Scale

nan = np.nan
FAST = settings(max_examples=50, deadline=None)
PanelFactory = Callable[..., np.ndarray]  # the large_panel fixture


@st.composite
def two_rounds(draw: st.DrawFn, *, fractional: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Aligned before/after matrices with ties, small moves and missing answers."""
    m = draw(st.integers(1, 25))
    n = draw(st.integers(1, 5))
    before = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(1, 7))).astype(float)
    moves = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(-3, 3)))
    after = np.clip(before + moves, 1, 9).astype(float)
    if fractional:
        before, after = before / 4.0 + 0.1, after / 4.0 + 0.1
    for x in (before, after):
        holes = draw(hnp.arrays(np.bool_, (m, n), elements=st.booleans()))
        x[holes & draw(st.booleans())] = nan
    return before, after


def rng_rows(rows: int, share: float = 0.1) -> np.ndarray:
    """A random share of the row indices (respondents), for dropping from a round."""
    rng = np.random.default_rng(9)
    return rng.choice(rows, int(rows * share), replace=False)


def check_against_references(before: np.ndarray, after: np.ndarray) -> None:
    res = paired_change(before, after)
    for j in range(before.shape[1]):
        both = ~np.isnan(before[:, j]) & ~np.isnan(after[:, j])
        b, a = before[both, j], after[both, j]
        assert res.pairs[j] == both.sum()
        if not both.any():
            for field in ("changed", "net_change", "median_shift", "pvalue"):
                assert np.isnan(getattr(res, field)[j])
            continue
        d = a - b
        assert res.moved[j] == np.count_nonzero(d)
        assert res.changed[j] == pytest.approx(np.count_nonzero(d) / both.sum())
        assert res.median_before[j] == np.median(b)
        assert res.median_after[j] == np.median(a)
        assert res.median_shift[j] == np.median(a) - np.median(b)
        values = np.unique(np.concatenate([a, b]))
        freq_a = (a[:, None] == values).sum(axis=0)
        freq_b = (b[:, None] == values).sum(axis=0)
        expected_net = np.abs(freq_a - freq_b).sum() / (2 * both.sum())
        assert res.net_change[j] == pytest.approx(expected_net, abs=1e-15)
        if np.count_nonzero(d) == 0:
            assert np.isnan(res.statistic[j])
            assert np.isnan(res.pvalue[j])
            continue
        ref = stats.wilcoxon(a, b, zero_method="wilcox", correction=False, method="approx")
        assert res.statistic[j] == pytest.approx(ref.statistic, rel=1e-12)
        assert res.pvalue[j] == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)


class TestPairedChange:
    def test_worked_example(self) -> None:
        before = np.array([[5, 9], [6, 8], [7, 9], [3, nan], [8, 7]])
        after = np.array([[7, 9], [7, 8], [7, 9], [6, 2], [9, 7]])
        res = paired_change(before, after)
        assert res.pairs.tolist() == [5, 4]
        assert res.moved.tolist() == [4, 0]
        assert res.changed.tolist() == [0.8, 0.0]
        assert res.median_shift.tolist() == [1.0, 0.0]
        # four rises, |d| = 2, 1, 3, 1: T+ = 10, T- = 0
        assert res.statistic[0] == 0.0
        assert res.z[0] == pytest.approx(5 / np.sqrt(177 / 24))
        assert res.net_change.tolist() == [0.6, 0.0]
        assert np.isnan(res.pvalue[1])

    @FAST
    @given(two_rounds())
    def test_matches_scipy_and_definitions(self, rounds: tuple[np.ndarray, np.ndarray]) -> None:
        check_against_references(*rounds)

    @FAST
    @given(two_rounds(fractional=True))
    def test_non_integer_ratings(self, rounds: tuple[np.ndarray, np.ndarray]) -> None:
        check_against_references(*rounds)

    def test_large_panel_matches_scipy(self) -> None:
        rng = np.random.default_rng(7)
        before = rng.integers(1, 10, (400, 6)).astype(float)
        after = np.clip(before + rng.integers(-2, 3, before.shape), 1, 9)
        after[:, 0] = np.clip(after[:, 0] + 1, 1, 9)  # a real shift in one statement
        before[rng.random(before.shape) < 0.1] = nan
        check_against_references(before, after)
        assert paired_change(before, after).pvalue[0] < 1e-6

    @pytest.mark.parametrize(("low", "high"), [(1, 9), (0, 40)])
    def test_panel_of_a_million_ratings_matches_scipy(
        self, large_panel: PanelFactory, low: int, high: int
    ) -> None:
        shape = (2200, 480)
        before = large_panel(low, high, shape=shape)
        moves = np.random.default_rng(4).integers(-2, 3, shape)
        after = np.clip(before + moves, low, high)
        after[rng_rows(shape[0])] = nan  # respondents who left after the first round
        check_against_references(before, after)

    def test_half_points_between_integer_extremes(self) -> None:
        before = np.array([[1.0, 3.0], [1.5, 2.0], [2.0, 2.5], [3.0, 1.0]])
        after = np.array([[1.5, 3.0], [1.5, 1.0], [3.0, 2.0], [2.0, 1.0]])
        check_against_references(before, after)

    def test_rounds_too_far_apart_to_count(self) -> None:
        before = np.array([[1.0], [2.0], [3.0], [2.0], [5.0]])
        check_against_references(before, before + 500)

    def test_respondents_absent_from_a_round_are_ignored(self) -> None:
        before = np.array([[5.0], [5.0], [nan], [1.0]])
        after = np.array([[6.0], [5.0], [9.0], [nan]])
        res = paired_change(before, after)
        assert res.pairs.tolist() == [2]
        assert res.changed.tolist() == [0.5]
        assert res.median_before.tolist() == [5.0]

    def test_statement_without_pairs_is_nan(self) -> None:
        res = paired_change([[1.0, nan]], [[2.0, 3.0]])
        assert res.pairs.tolist() == [1, 0]
        assert np.isnan(res.changed[1])
        assert np.isnan(res.net_change[1])

    def test_shape_mismatch_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="same shape"):
            paired_change(np.ones((3, 2)), np.ones((2, 2)))
        with pytest.raises(ValueError, match="after"):
            paired_change(np.ones((3, 2)), [["a", "b"]])


PREVIOUS = np.array([[8, 2, 5], [7, 5, 6], [9, 8, 5], [6, 3, 2], [8, 9, 9]], dtype=float)
CURRENT = np.array([[8, 2, 5], [8, 5, 9], [9, 8, 1], [7, 3, 8], [8, 9, 9]], dtype=float)
RULE = "median >= 7 and agree >= 0.70"


class TestStopping:
    def test_consensus_stable_continue(self) -> None:
        res = stopping(PREVIOUS, CURRENT, RULE, scale=Scale(1, 9))
        assert res.status.tolist() == ["consensus", "stable", "continue"]
        assert res.consensus.tolist() == [True, False, False]
        assert res.stable.tolist() == [False, True, False]
        assert res.change.net_change.tolist() == pytest.approx([0.2, 0.0, 0.6])
        assert res.summary.median.tolist() == [8.0, 5.0, 8.0]

    def test_rule_forms_are_equivalent(self) -> None:
        as_text = stopping(PREVIOUS, CURRENT, RULE, scale=Scale(1, 9)).status
        rule = ConsensusRule.parse(RULE)
        assert (stopping(PREVIOUS, CURRENT, rule, scale=Scale(1, 9)).status == as_text).all()
        as_dict = stopping(PREVIOUS, CURRENT, rule.to_dict(), scale=Scale(1, 9)).status
        assert (as_dict == as_text).all()

    def test_scale_is_inferred_from_both_rounds(self) -> None:
        res = stopping(PREVIOUS, CURRENT, RULE)
        assert res.scale == Scale(1, 9)
        assert res.status.tolist() == ["consensus", "stable", "continue"]
        # widened to hold the agree and disagree bands the rule is read with
        assert stopping([[4.0]], [[6.0]], "iqr <= 1").scale == Scale(1, 9)
        narrow = stopping([[4.0]], [[4.0]], "iqr <= 1", agree=(4, 4), disagree=(4, 4))
        assert narrow.scale == Scale(4, 5)

    def test_summarize_options_are_passed_on(self) -> None:
        strict = stopping(PREVIOUS, CURRENT, RULE, scale=Scale(1, 9), agree=(9, 9))
        assert strict.summary.agree[0] == pytest.approx(0.2)
        assert strict.status[0] == "continue"
        assert strict.summary.agree_band == (9, 9)

    def test_small_but_systematic_shift_is_not_stable(self) -> None:
        previous = np.full((100, 1), 5.0)
        current = previous.copy()
        current[:12] = 6.0  # net change 12% < 15%, but everyone who moved went up
        res = stopping(previous, current, "median >= 7", scale=Scale(1, 9))
        assert res.change.net_change[0] == pytest.approx(0.12)
        assert res.change.pvalue[0] < 0.05
        assert res.status.tolist() == ["continue"]
        relaxed = stopping(previous, current, "median >= 7", scale=Scale(1, 9), alpha=1e-4)
        assert relaxed.status.tolist() == ["stable"]

    def test_threshold_is_a_parameter(self) -> None:
        res = stopping(PREVIOUS, CURRENT, RULE, scale=Scale(1, 9), stability_threshold=0.7)
        assert res.change.pvalue[2] >= 0.05
        assert res.status.tolist() == ["consensus", "stable", "stable"]

    def test_new_statement_continues(self) -> None:
        previous = np.column_stack([PREVIOUS, np.full(5, nan)])
        current = np.column_stack([CURRENT, [5, 5, 5, 5, 5]])
        res = stopping(previous, current, RULE, scale=Scale(1, 9))
        assert res.status.tolist() == ["consensus", "stable", "continue", "continue"]

    def test_invalid_settings(self) -> None:
        with pytest.raises(ValueError, match="alpha"):
            stopping(PREVIOUS, CURRENT, RULE, alpha=0)
        with pytest.raises(ValueError, match="stability_threshold"):
            stopping(PREVIOUS, CURRENT, RULE, stability_threshold=1.5)
        with pytest.raises(ValueError, match="no ratings"):
            stopping([[nan]], [[nan]], RULE)
        with pytest.raises(ValueError, match="same shape"):
            stopping(PREVIOUS, CURRENT[:, :2], RULE, scale=Scale(1, 9))


class TestRoundStability:
    @FAST
    @given(two_rounds(), st.integers(0, 2**32 - 1), st.integers(2, 5))
    def test_each_transition_is_the_stopping_rule(
        self, pair: tuple[np.ndarray, np.ndarray], seed: int, count: int
    ) -> None:
        rng = np.random.default_rng(seed)
        rounds = list(pair)
        while len(rounds) < count:  # further rounds that move a little or not at all
            step = rng.integers(-1, 2, rounds[-1].shape) * (rng.random(rounds[-1].shape) < 0.2)
            rounds.append(np.clip(rounds[-1] + step, 1, 9))
        res = round_stability(rounds)
        assert res.stable.shape == (count - 1, pair[0].shape[1])
        for t in range(count - 1):
            change = paired_change(rounds[t], rounds[t + 1])
            np.testing.assert_array_equal(res.net_change[t], change.net_change)
            scale = Scale(1, 9)
            expected = stopping(rounds[t], rounds[t + 1], "median >= 99", scale=scale).stable
            np.testing.assert_array_equal(res.stable[t], expected)
        for j in range(pair[0].shape[1]):
            run = 0
            for t in range(count - 2, -1, -1):
                if not res.stable[t, j]:
                    break
                run += 1
            assert res.stable_run[j] == run
            assert res.stable_since[j] == (count - 1 - run if run else -1)

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="at least two rounds"):
            round_stability([[[1.0]]])
        with pytest.raises(ValueError, match="same shape"):
            round_stability([[[1.0]], [[1.0, 2.0]]])
        with pytest.raises(ValueError, match="alpha"):
            round_stability([[[1.0]], [[1.0]]], alpha=0)
        with pytest.raises(ValueError, match="sequence"):
            round_stability(5)
