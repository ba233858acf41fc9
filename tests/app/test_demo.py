"""The demo's account of itself: the true state of every round, and what a re-run replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import demo


@pytest.mark.usefixtures("live_database")
def test_a_rerun_prints_the_rounds_as_they_are_and_warns_of_replaced_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("DELPHI_MAIL_DIR", str(tmp_path / "mail"))
    get_settings.cache_clear()
    first = demo.run(port=8123)
    out = capsys.readouterr().out
    # Every round as the database has it: 0 to 2 closed, 3 (the last) open.
    assert [line.split(",")[0] for line in first.rounds] == [
        "round 0: closed",
        "round 1: closed",
        "round 2: closed",
        "round 3: open",
    ]
    assert all(f"  {line}" in out for line in first.rounds)
    assert "replaced" not in out
    assert "(port 8123)" in out

    second = demo.run(port=8123)
    out = capsys.readouterr().out
    assert second.rounds == first.rounds
    assert "this run replaced the demo facilitator's password and the 'demo' API key" in out
    assert first.facilitator_password not in out
    assert second.facilitator_password in out
