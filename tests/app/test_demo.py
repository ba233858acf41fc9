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
    submitted = int(first.rounds[0].split(", ")[1].split(" of ")[0])
    assert f"round 1: closed, {submitted} of 40 submitted" in out
    assert "round 2: open, 0 of 40 submitted" in out
    assert "replaced" not in out
    assert "(port 8123)" in out

    second = demo.run(port=8123)
    out = capsys.readouterr().out
    assert second.rounds == first.rounds
    assert "this run replaced the demo facilitator's password and the 'demo' API key" in out
    assert first.facilitator_password not in out
    assert second.facilitator_password in out
