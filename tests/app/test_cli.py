"""The ``delphi`` command against a real, committed database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.app.conftest import STUDY_FILE

KEY = "crime-prevention-2027"


@pytest.fixture
def cli_database(live_database: str) -> str:
    return live_database


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


class TestStudySetUp:
    def test_from_empty_database_to_open_round(self, cli_database: str, tmp_path: Path) -> None:
        assert run("db", "upgrade")[0] == 0
        code, out = run("survey", "import", str(STUDY_FILE))
        assert code == 0, out
        assert "27 statements" in out
        panel = tmp_path / "panel.csv"
        panel.write_text(
            "email,name,stakeholder_group\na@example.org,A,ngo\nb@example.org,B,academia\n",
            encoding="utf-8",
        )
        assert run("panel", "import", KEY, str(panel)) == (0, f"added 2 panelists to {KEY!r}\n")
        code, out = run("round", "launch", KEY, "--deadline", "2099-01-31")
        assert code == 0, out
        assert "round 1" in out
        code, out = run("round", "status", KEY)
        assert "round 1: open, 27 statements, 0/2 submitted (0%)" in out
        code, out = run("round", "remind", KEY)
        assert "queued 2 reminders" in out
        code, out = run("round", "close", KEY)
        assert code == 0, out
        assert "0 of 2 responded" in out

    def test_errors_exit_2_with_a_message(self, cli_database: str, tmp_path: Path) -> None:
        run("db", "upgrade")
        bad = tmp_path / "bad.yaml"
        bad.write_text("key: Not A Slug\n", encoding="utf-8")
        code, out = run("survey", "import", str(bad))
        assert code == 2
        assert "bad.yaml:1: key: String should match pattern" in out
        code, out = run("round", "launch", "no-such-study")
        assert code == 2
        assert "no study with key 'no-such-study'" in out

    def test_api_key_is_printed_once(self, cli_database: str) -> None:
        run("db", "upgrade")
        code, out = run("apikey", "create", "analysts")
        assert code == 0
        assert out.startswith("dk_")


class TestDemo:
    def test_the_demo_goes_through_the_whole_cycle_between_rounds(
        self,
        cli_database: str,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from sqlalchemy import func, select

        from app import demo
        from app.config import get_settings
        from app.db import unit_of_work
        from app.models import (
            Endorsement,
            HiddenCause,
            Proposal,
            ProposalState,
            Reason,
            Round,
            Statement,
            StatementOrigin,
        )

        monkeypatch.setenv("DELPHI_MAIL_DIR", str(tmp_path / "mail"))
        get_settings.cache_clear()
        access = demo.run()
        assert "round 3 (the last) open" in capsys.readouterr().out
        assert len(access.panelist_links) == 3
        with unit_of_work() as session:
            numbers = session.scalars(select(Round.number).order_by(Round.number)).all()
            assert numbers == [0, 1, 2, 3]
            states = set(session.scalars(select(Proposal.state)))
            assert {
                ProposalState.ACCEPTED,
                ProposalState.MERGED,
                ProposalState.REJECTED,
                ProposalState.PENDING,
            } <= states
            origins = set(session.scalars(select(Statement.origin)))
            assert {
                StatementOrigin.PROPOSED,
                StatementOrigin.REWORDED,
                StatementOrigin.SPLIT,
            } <= origins
            assert session.scalar(select(func.count()).select_from(Reason)) > 100
            assert set(session.scalars(select(Reason.language))) == {"en", "fr", "es"}
            assert HiddenCause.PERSONAL_DATA in set(session.scalars(select(Reason.hidden_cause)))
            marked = session.scalar(
                select(func.count()).select_from(Endorsement).where(Endorsement.persuasive)
            )
            assert marked
