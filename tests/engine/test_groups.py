"""Stakeholder-group breakdowns and small-group suppression."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import (
    CommonGroups,
    GroupBreakdown,
    Scale,
    Summary,
    by_group,
    common_groups,
    shown_cells,
    summarize,
)

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


def assert_cells_are_summarize_on_their_rows(
    result: GroupBreakdown, x: np.ndarray, labels: np.ndarray, scale: Scale, **options: object
) -> None:
    """Every group's summary is summarize on its rows and its shown statements."""
    for i, label in enumerate(result.groups):
        summary = result.summaries[label]
        columns = result.columns[label]
        np.testing.assert_array_equal(columns, np.flatnonzero(result.shown[i]))
        if summary is None:
            assert columns.size == 0
            continue
        rows = x[labels == label][:, columns]
        expected = summarize(rows, scale, **options)  # type: ignore[arg-type]
        assert_same(summary, expected)
        assert summary.method() == expected.method()


class TestBreakdown:
    def test_each_shown_cell_is_summarize_on_its_rows(self) -> None:
        groups = ["ngo"] * 9 + ["state"] * 10 + ["academia"] * 8
        x = ratings_for(groups, statements=6)
        result = by_group(x, NINE, groups, quantile_method="linear", agree=(8, 9))
        assert isinstance(result, GroupBreakdown)
        assert result.groups == ("academia", "ngo", "state")
        assert result.shown.shape == (3, 6)
        assert result.shown.any()
        assert_cells_are_summarize_on_their_rows(
            result, x, np.array(groups), NINE, quantile_method="linear", agree=(8, 9)
        )

    @pytest.mark.parametrize("scale", [NINE, Scale(0, 10), Scale(0, 100)], ids=str)
    def test_large_panel_each_group_is_summarize_on_its_rows(
        self, large_panel: PanelFactory, scale: Scale
    ) -> None:
        x = large_panel(scale.low, scale.high)
        labels = np.array(["ngo", "state", "academia", "industry"])[
            np.random.default_rng(3).integers(0, 4, x.shape[0])
        ]
        result = by_group(x, scale, labels.tolist(), agree=(scale.high - 1, scale.high))
        assert result.shown.all()
        assert_cells_are_summarize_on_their_rows(
            result, x, labels, scale, agree=(scale.high - 1, scale.high)
        )

    def test_records_give_none_on_hidden_statements(self) -> None:
        groups = ["a"] * 6 + ["b"] * 6
        x = np.full((12, 3), 7.0)
        x[:2, 1] = np.nan  # a has four raters on the second statement
        result = by_group(x, NINE, groups)
        a = result.records("a")
        assert [r is None for r in a] == [False, True, False]
        assert a[0] is not None
        assert a[0]["n"] == 6
        assert result.records("nobody") == [None, None, None]
        assert result.is_shown("b", 0)
        assert not result.is_shown("b", 1)  # complement: b alone is the total minus a's four

    def test_numeric_labels_are_sorted_and_plain(self) -> None:
        groups = np.array([2, 1, 2, 1, 3, 3] * 2)
        result = by_group(ratings_for(list(groups)), NINE, groups, min_size=4)
        assert result.groups == (1, 2, 3)
        assert all(type(g) is int for g in result.groups)

    def test_groups_of_size_one_with_min_size_one(self) -> None:
        result = by_group([[3.0], [9.0]], NINE, ["x", "y"], min_size=1)
        assert result.shown.all()
        x = result.summaries["x"]
        assert x is not None
        assert x.median.tolist() == [3.0]
        assert np.isnan(x.sd[0])

    def test_cannot_judge_mask_is_counted_per_group(self) -> None:
        groups = ["a"] * 7 + ["b"] * 7
        x = np.full((14, 1), 7.0)
        cannot = np.zeros((14, 1), dtype=bool)
        x[[0, 1, 8], 0] = np.nan
        cannot[[0, 1, 8], 0] = True
        result = by_group(x, NINE, groups, cannot_judge=cannot, cannot_judge_counts=True)
        a, b = result.summaries["a"], result.summaries["b"]
        assert a is not None
        assert b is not None
        assert a.n.tolist() == [5]
        assert a.cannot_judge.tolist() == [2]
        assert a.agree.tolist() == [5 / 7]
        assert b.cannot_judge.tolist() == [1]
        assert b.agree.tolist() == [6 / 7]

    def test_results_are_read_only(self) -> None:
        result = by_group(ratings_for(["a"] * 6), NINE, ["a"] * 6)
        with pytest.raises(ValueError, match="read-only"):
            result.shown[0, 0] = False


def span_isolates_fewer_than(sets: list[np.ndarray], k: int) -> bool:
    """Brute force: is some 0/1 vector with 1 .. k-1 ones in the span of the sets?

    ``sets`` are boolean indicator vectors over one cell's raters. Every published
    count of a cell (``n``, or the count at one scale point) is ``1_S . y`` for a
    published set ``S`` and a vector ``y`` of the raters' answers (ones, or "rated
    v"), so a linear combination of them counts exactly the raters of ``T`` only if
    ``1_T`` is in the span of the ``1_S``. Every small ``T`` is tried.
    """
    raters = sets[0].shape[0] if sets else 0
    if raters == 0 or k <= 1:
        return False
    matrix = np.array(sets, dtype=float)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    basis = vt[singular > 1e-9]
    for size in range(1, min(k - 1, raters) + 1):
        members = np.array(list(itertools.combinations(range(raters), size)))
        candidates = np.zeros((members.shape[0], raters))
        np.put_along_axis(candidates, members, 1.0, axis=1)
        residual = candidates - (candidates @ basis.T) @ basis
        if (np.abs(residual).max(axis=1) < 1e-9).any():
            return True
    return False


@st.composite
def panels(draw: st.DrawFn) -> tuple[np.ndarray, list[str], int]:
    """Small panels: group sizes, cannot-judge holes and k drawn at random."""
    sizes = draw(st.lists(st.integers(0, 7), min_size=1, max_size=4))
    assume(sum(sizes) > 0)
    groups = [f"g{i}" for i, size in enumerate(sizes) for _ in range(size)]
    statements = draw(st.integers(1, 3))
    x = draw(
        hnp.arrays(np.float64, (len(groups), statements), elements=st.integers(1, 9).map(float))
    )
    holes = draw(hnp.arrays(np.bool_, x.shape, elements=st.booleans()))
    x[holes & (draw(st.floats(0, 1)) > 0.4)] = np.nan
    return x, groups, draw(st.integers(1, 5))


class TestSuppression:
    def test_small_group_is_hidden_for_too_few_raters(self) -> None:
        groups = ["ngo"] * 5 + ["state"] * 6 + ["private"] * 7 + ["academia"] * 2
        result = by_group(np.full((20, 1), 5.0), NINE, groups)
        assert result.summaries["academia"] is None
        assert result.reasons[result.groups.index("academia"), 0] == "raters"

    def test_complementary_suppression_takes_the_next_smallest(self) -> None:
        groups = ["ngo"] * 5 + ["state"] * 6 + ["private"] * 7 + ["academia"] * 2
        result = by_group(np.full((20, 1), 5.0), NINE, groups)
        hidden = {g for g, why in zip(result.groups, result.reasons[:, 0], strict=True) if why}
        assert hidden == {"academia", "ngo"}
        assert result.reasons[result.groups.index("ngo"), 0] == "complement"
        assert result.summaries["ngo"] is None

    def test_ties_for_next_smallest_go_to_the_first_label(self) -> None:
        groups = ["b"] * 6 + ["a"] * 6 + ["c"] * 1
        result = by_group(np.full((13, 1), 5.0), NINE, groups)
        assert result.shown[:, 0].tolist() == [False, True, False]

    def test_small_groups_whose_union_reaches_k_need_no_complement(self) -> None:
        groups = ["a"] * 2 + ["b"] * 3 + ["c"] * 8 + ["d"] * 9
        result = by_group(np.full((22, 1), 5.0), NINE, groups)
        assert result.shown[:, 0].tolist() == [False, False, True, True]

    def test_two_small_groups_below_k_together_are_not_left_alone(self) -> None:
        # the union attack: total minus the two groups of 8 gave the four raters
        groups = ["a"] * 2 + ["b"] * 2 + ["c"] * 8 + ["d"] * 8
        x = ratings_for(groups, statements=1)
        x[:] = 6.0
        result = by_group(x, NINE, groups)
        assert result.shown[:, 0].tolist() == [False, False, False, True]
        assert result.reasons[:, 0].tolist() == ["raters", "raters", "complement", ""]
        total = summarize(x, NINE).counts[0]
        d = result.summaries["d"]
        assert d is not None
        assert (total - d.counts[0]).sum() == 12  # what subtraction gives: 12 raters, >= k
        raters = np.ones(20, dtype=bool)
        published = [raters, np.array(groups) == "d"]
        assert not span_isolates_fewer_than(published, 5)
        assert span_isolates_fewer_than([raters, np.array(groups) == "c", published[1]], 5)

    def test_a_group_of_five_with_one_cannot_judge_is_not_shown_with_four(self) -> None:
        groups = ["a"] * 5 + ["b"] * 10
        x = np.full((15, 2), 8.0)
        x[0, 0] = np.nan  # one of a cannot judge the first statement
        result = by_group(x, NINE, groups)
        assert result.records("a")[0] is None
        a = result.records("a")[1]
        assert a is not None
        assert a["n"] == 5
        # b alone would be the total minus a's four raters
        assert result.records("b")[0] is None
        assert result.shown[:, 1].all()

    def test_two_groups_one_small_hides_both(self) -> None:
        groups = ["a"] * 3 + ["b"] * 20
        result = by_group(np.full((23, 1), 5.0), NINE, groups)
        assert not result.shown.any()
        assert all(result.summaries[g] is None for g in result.groups)

    def test_a_panel_of_one_group_is_shown_like_the_total(self) -> None:
        result = by_group(np.full((6, 1), 5.0), NINE, ["only"] * 6)
        assert result.shown.all()

    def test_nobody_rated_the_statement(self) -> None:
        result = by_group(np.full((12, 1), np.nan), NINE, ["a"] * 6 + ["b"] * 6)
        assert not result.shown.any()
        assert result.reasons[:, 0].tolist() == ["raters", "raters"]

    @settings(max_examples=150, deadline=None)
    @given(panels())
    def test_no_linear_combination_isolates_fewer_than_k_raters(
        self, panel: tuple[np.ndarray, list[str], int]
    ) -> None:
        x, groups, k = panel
        result = by_group(x, NINE, groups, min_size=k)
        labels = np.array(groups)
        for j in range(x.shape[1]):
            rated = ~np.isnan(x[:, j])
            raters = labels[rated]
            published = [np.ones(raters.size, dtype=bool)]
            for i, group in enumerate(result.groups):
                members = raters == group
                record = result.records(group)[j]
                if result.shown[i, j]:
                    assert record is not None
                    assert record["n"] == members.sum() >= k
                    published.append(members)
                else:
                    assert record is None
            if raters.size < k:
                # the panel total is published whatever its size; no group may be
                assert len(published) == 1
            assert not span_isolates_fewer_than(published, k) or raters.size < k
            # and nothing is hidden that did not need to be
            count = {g: int((raters == g).sum()) for g in result.groups}
            complements = [
                g for i, g in enumerate(result.groups) if result.reasons[i, j] == "complement"
            ]
            assert len(complements) <= 1
            for group in complements:
                others = sum(c for g, c in count.items() if result.shown[result.groups.index(g), j])
                assert 0 < raters.size - others - count[group] < k
            for i, group in enumerate(result.groups):
                assert (result.reasons[i, j] == "raters") == (count[group] < k)

    def test_shown_cells_on_counts(self) -> None:
        np.testing.assert_array_equal(
            shown_cells([[2, 5], [2, 0], [8, 5]], min_size=5),
            [[False, True], [False, False], [False, True]],
        )
        with pytest.raises(ValueError, match="raters"):
            shown_cells([[1.5]])
        with pytest.raises(ValueError, match="min_size"):
            shown_cells([[1]], min_size=0)


class TestCommonGroups:
    def test_groups_shown_everywhere_label_their_rows(self) -> None:
        groups = ["a"] * 6 + ["b"] * 7 + ["c"] * 2
        x = np.full((15, 4), 5.0)
        result = common_groups(x, groups)
        assert isinstance(result, CommonGroups)
        # c is hidden, and a with it (total minus b would give c's two raters)
        assert result.labelled == ("b",)
        assert result.unlabelled == ("a", "c")
        assert result.exposed == ()
        assert result.linkable

    def test_a_group_hidden_on_one_cell_labels_nothing(self) -> None:
        groups = ["a"] * 6 + ["b"] * 6 + ["c"] * 6
        x = np.full((18, 3), 5.0)
        x[12:14, 2] = np.nan  # c has four raters on the last cell
        result = common_groups(x, groups)
        assert "c" in result.unlabelled
        assert len(result.labelled) == 1  # one of a, b is c's complement on that cell
        assert "c" in result.exposed  # shown on the first two cells
        assert not result.linkable

    def test_the_two_two_eight_eight_round(self) -> None:
        groups = ["a"] * 2 + ["b"] * 2 + ["c"] * 8 + ["d"] * 8
        result = common_groups(np.full((20, 2), 6.0), groups)
        assert result.labelled == ("d",)
        assert result.unlabelled == ("a", "b", "c")  # 12 rows marked suppressed
        assert result.linkable

    def test_too_few_suppressed_respondents_unlabel_one_more_group(self) -> None:
        # c never rates, so it is hidden nowhere by the cells, but its three rows alone
        # would carry the "suppressed" mark
        groups = ["a"] * 6 + ["b"] * 7 + ["c"] * 3
        x = np.full((16, 2), 5.0)
        x[13:] = np.nan
        result = common_groups(x, groups)
        assert result.labelled == ("b",)
        assert result.unlabelled == ("a", "c")
        assert result.exposed == ("a",)

    def test_cells_nobody_rated_constrain_nothing(self) -> None:
        x = np.full((12, 2), 5.0)
        x[:, 1] = np.nan
        assert common_groups(x, ["a"] * 6 + ["b"] * 6).labelled == ("a", "b")

    @settings(max_examples=150, deadline=None)
    @given(panels())
    def test_labels_never_single_out_fewer_than_k(
        self, panel: tuple[np.ndarray, list[str], int]
    ) -> None:
        x, groups, k = panel
        result = common_groups(x, groups, min_size=k)
        breakdown = by_group(x, NINE, groups, min_size=k)
        labels = np.array(groups)
        assert set(result.labelled) | set(result.unlabelled) == set(breakdown.groups)
        unlabelled = np.isin(labels, result.unlabelled)
        if result.labelled:
            assert unlabelled.sum() == 0 or unlabelled.sum() >= k
        for group in result.labelled:
            assert (labels == group).sum() >= k
        rated = ~np.isnan(x).all(axis=0)
        for i, group in enumerate(breakdown.groups):
            if group in result.labelled:
                assert breakdown.shown[i, rated].all()
        exposed = {g for i, g in enumerate(breakdown.groups) if breakdown.shown[i].any()}
        assert set(result.exposed) == exposed - set(result.labelled)
        for j in range(x.shape[1]):
            present = ~np.isnan(x[:, j])
            raters = labels[present]
            published = [np.ones(raters.size, dtype=bool), unlabelled[present]]
            published += [raters == g for g in result.labelled]
            published += [
                raters == g for i, g in enumerate(breakdown.groups) if breakdown.shown[i, j]
            ]
            assert not span_isolates_fewer_than(published, k) or raters.size < k


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
