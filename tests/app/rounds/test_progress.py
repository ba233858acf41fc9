"""Which stakeholder groups' response counts the round page holds back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.rounds.progress import held_back


class TestHeldBack:
    def test_large_groups_are_all_shown(self) -> None:
        assert held_back({"a": 5, "b": 9}, 5) == set()

    def test_one_small_group_takes_the_next_smallest_with_it(self) -> None:
        assert held_back({"a": 2, "b": 6, "c": 9}, 5) == {"a", "b"}

    def test_small_groups_that_add_up_to_k_hide_nothing_else(self) -> None:
        assert held_back({"a": 2, "b": 3, "c": 9}, 5) == {"a", "b"}

    def test_a_group_nobody_was_invited_from_is_not_held_back(self) -> None:
        assert held_back({"a": 0, "b": 9}, 5) == set()

    @given(
        sizes=st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 12), min_size=1),
        k=st.integers(1, 8),
    )
    def test_no_subtraction_isolates_fewer_than_k_people(
        self, sizes: dict[str, int], k: int
    ) -> None:
        hidden = held_back(sizes, k)
        shown = [n for g, n in sizes.items() if g not in hidden and n > 0]
        assert all(n >= k for n in shown)
        # The held-back part (total minus every shown group) is empty or at least k.
        rest = sum(sizes[g] for g in hidden)
        assert rest == 0 or rest >= k or not shown
