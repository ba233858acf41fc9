"""The store of rendered fragments: reused by content and bounded by what it holds."""

from __future__ import annotations

import pytest

from app.web import fragments


@pytest.fixture(autouse=True)
def empty_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragments, "_kept", type(fragments._kept)())
    monkeypatch.setattr(fragments, "_held", 0)


def test_the_same_arguments_render_once() -> None:
    calls: list[int] = []

    def macro(n: int) -> str:
        calls.append(n)
        return f"<b>{n}</b>"

    assert fragments.once("t", macro, 1) == fragments.once("t", macro, 1) == "<b>1</b>"
    assert fragments.once("t", macro, 2) == "<b>2</b>"
    assert calls == [1, 2]


def test_the_store_holds_at_most_its_budget_of_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fragments, "KEPT_CHARS", 1000)
    for n in range(50):
        fragments.once("t", lambda n: "x" * 100 + str(n), n)
    assert fragments._held == sum(len(v) for v in fragments._kept.values()) <= 1000
    # the most recent are kept, the oldest went first
    assert ("t", "en", 49) in fragments._kept
    assert ("t", "en", 0) not in fragments._kept
