"""The incremental tally of a real-time study against summarize on the same answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import LiveTally, Scale, Summary, summarize

NINE = Scale(1, 9)
WITHDRAW = "withdraw"

Answer = int | None  # a rating, or None for "cannot judge"


def assert_same(a: Summary, b: Summary) -> None:
    for name in Summary.metric_names():
        left, right = getattr(a, name), getattr(b, name)
        if left.dtype == object:
            assert left.tolist() == right.tolist(), name
        else:
            np.testing.assert_array_equal(left, right, err_msg=name)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.cannot_judge, b.cannot_judge)
    assert a.method() == b.method()


def reference(
    answers: dict[tuple[int, int], Answer], panelists: int, statements: int, scale, **options
):
    """summarize on the matrix of current answers, NaN for cannot-judge and no answer."""
    x = np.full((panelists, statements), np.nan)
    cannot = np.zeros(statements, dtype=int)
    for (p, s), answer in answers.items():
        if answer is None:
            cannot[s] += 1
        else:
            x[p, s] = answer
    return summarize(x, scale, cannot_judge=cannot, **options)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Scale, int, int, list[tuple[int, int, object]]]:
    """A scale and a random sequence of answers, revisions and withdrawals."""
    low = draw(st.integers(-2, 1))
    scale = Scale(low, low + draw(st.integers(1, 9)))
    panelists = draw(st.integers(1, 12))
    statements = draw(st.integers(1, 4))
    answer = st.one_of(st.none(), st.integers(scale.low, scale.high), st.just(WITHDRAW))
    steps = draw(
        st.lists(
            st.tuples(st.integers(0, panelists - 1), st.integers(0, statements - 1), answer),
            max_size=80,
        )
    )
    return scale, panelists, statements, steps


class TestLiveTally:
    @settings(max_examples=120, deadline=None)
    @given(histories(), st.sampled_from(["weibull", "linear", "hazen", "nearest"]))
    def test_equals_summarize_after_any_history(self, history, method: str) -> None:
        scale, panelists, statements, steps = history
        tally = LiveTally(scale, statements)
        current: dict[tuple[int, int], Answer] = {}
        for p, s, new in steps:
            old = current.get((p, s), WITHDRAW)
            if new == WITHDRAW:
                if old != WITHDRAW:
                    tally.remove(s, old)
                    del current[(p, s)]
                continue
            if old == WITHDRAW:
                tally.add(s, new)
            else:
                tally.change(s, old, new)
            current[(p, s)] = new  # type: ignore[assignment]
        options = {
            "quantile_method": method,
            "agree": (scale.high, scale.high),
            "disagree": (scale.low, scale.low),
        }
        assert_same(
            tally.summary(**options),  # type: ignore[arg-type]
            reference(current, panelists, statements, scale, **options),
        )

    def test_from_ratings_and_batches(self) -> None:
        rng = np.random.default_rng(0)
        x = rng.integers(1, 10, size=(40, 5)).astype(float)
        x[rng.random(x.shape) < 0.2] = np.nan
        cannot = np.isnan(x).sum(axis=0)
        tally = LiveTally.from_ratings(x, NINE, cannot_judge=cannot)
        assert_same(tally.summary(), summarize(x, NINE, cannot_judge=cannot))
        # a batch of revisions: every answer of panelist 0 becomes 9 (or stays cannot-judge)
        old = x[0].copy()
        rated = ~np.isnan(old)
        statements = np.flatnonzero(rated)
        tally.change(statements, old[rated], np.full(rated.sum(), 9.0))
        x[0, rated] = 9
        assert_same(tally.summary(), summarize(x, NINE, cannot_judge=cannot))

    def test_cannot_judge_counts_in_the_agreement_share(self) -> None:
        tally = LiveTally(NINE, 1)
        for answer in (8, 9, None, 2):
            tally.add(0, answer)
        summary = tally.summary(cannot_judge_counts=True)
        assert summary.agree.tolist() == [0.5]
        assert summary.n.tolist() == [3]

    def test_a_failed_update_changes_nothing(self) -> None:
        tally = LiveTally(NINE, 2)
        tally.add(0, 5)
        before = tally.counts
        with pytest.raises(ValueError, match="not counted"):
            tally.change(0, 6, 7)  # 6 was never counted
        with pytest.raises(ValueError, match="not counted"):
            tally.remove(1, None)
        with pytest.raises(ValueError, match="scale 1-9"):
            tally.change(0, 5, 10)
        with pytest.raises(ValueError, match="statement must be"):
            tally.add(2, 5)
        with pytest.raises(ValueError, match="same length"):
            tally.add([0, 1], [5])
        np.testing.assert_array_equal(tally.counts, before)
        assert tally.cannot_judge.tolist() == [0, 0]

    def test_counts_are_copies(self) -> None:
        tally = LiveTally(NINE, 1)
        tally.add(0, 3)
        tally.counts[0, 2] = 99
        summary = tally.summary()
        tally.add(0, 3)  # the summary does not freeze the tally's own table
        assert summary.n.tolist() == [1]
        assert tally.counts[0, 2] == 2

    @pytest.mark.parametrize("statements", [0, -1, 1.5, True])
    def test_bad_statement_count(self, statements: object) -> None:
        with pytest.raises(ValueError, match="statements"):
            LiveTally(NINE, statements)  # type: ignore[arg-type]
