"""The ``delphi`` command against a real, committed database."""

from __future__ import annotations

import os
import subprocess
import sys
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
        assert "bad.yaml:1: key: should be a key: lower-case letters" in out
        code, out = run("round", "launch", "no-such-study")
        assert code == 2
        assert "no study with key 'no-such-study'" in out

    def test_api_key_is_printed_once(self, cli_database: str) -> None:
        run("db", "upgrade")
        code, out = run("apikey", "create", "analysts")
        assert code == 0
        assert out.startswith("dk_")


def _study_with_panel(tmp_path: Path) -> None:
    run("db", "upgrade")
    assert run("survey", "import", str(STUDY_FILE))[0] == 0
    panel = tmp_path / "panel.csv"
    panel.write_text(
        "email,name,stakeholder_group\na@example.org,A,ngo\nb@example.org,B,academia\n",
        encoding="utf-8",
    )
    assert run("panel", "import", KEY, str(panel))[0] == 0


class TestPanelCommands:
    def test_add_edit_resend_remove_and_list(self, cli_database: str, tmp_path: Path) -> None:
        _study_with_panel(tmp_path)
        assert run("round", "launch", KEY)[0] == 0
        code, out = run("panel", "add", KEY, "c@example.org", "--name", "C", "--group", "ngo")
        assert code == 0, out
        assert "their invitation to the open round is queued" in out
        code, out = run("panel", "edit", KEY, "c@example.org", "--name", "Cee", "--language", "fr")
        assert (code, out) == (0, "changed name, language\n")
        code, out = run("panel", "resend", KEY, "C@example.org")
        assert code == 0, out
        assert "a fresh link to round 1 is queued" in out
        code, out = run("panel", "list", KEY)
        assert "c@example.org\tCee\tngo\tfr\tround 1 invitation queued" in out
        code, out = run("panel", "remove", KEY, "a@example.org")
        assert code == 0, out
        assert "a@example.org" not in run("panel", "list", KEY)[1]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--name", "D", "--group", "pirates"), "stakeholder_group: 'pirates' is not one of"),
            (("--name", "D", "--group", "ngo", "--language", "de"), "language: 'de' is not one"),
        ],
    )
    def test_bad_details_exit_2_and_change_nothing(
        self, cli_database: str, tmp_path: Path, args: tuple[str, ...], message: str
    ) -> None:
        _study_with_panel(tmp_path)
        code, out = run("panel", "add", KEY, "d@example.org", *args)
        assert code == 2
        assert message in out
        assert "d@example.org" not in run("panel", "list", KEY)[1]

    def test_an_email_already_on_the_panel_is_refused(
        self, cli_database: str, tmp_path: Path
    ) -> None:
        _study_with_panel(tmp_path)
        code, out = run("panel", "edit", KEY, "b@example.org", "--email", "A@example.org")
        assert code == 2
        assert "a@example.org is already on the panel" in out


class TestWorkerCommands:
    def test_deadlines_extend_and_the_worker_reports_what_it_did(
        self, cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DELPHI_MAIL_DIR", str(tmp_path / "mail"))
        _study_with_panel(tmp_path)
        code, out = run("round", "launch", KEY, "--deadline", "2099-01-31T12:00+02:00")
        assert code == 0, out
        assert "it closes at 2099-01-31 10:00 UTC" in out
        code, out = run("round", "extend", KEY, "2099-01-30")
        assert code == 2
        assert "is not later than the current one" in out
        code, out = run("round", "extend", KEY, "2099-02-28")
        assert (code, out) == (
            0,
            "round 1 now closes at 2099-02-28 23:59 UTC; 2 panelists will be told\n",
        )
        code, out = run("worker", "--once")
        assert code == 0, out
        assert "sent 4, failed 0, will retry 0" in out
        code, out = run("mail", "status")
        assert out == "queued 0, sending 0, sent 4, failed 0, cancelled 0\n"
        code, out = run("mail", "send", "--once")
        assert "sent 0, failed 0" in out

    def test_a_bad_deadline_is_explained(self, cli_database: str, tmp_path: Path) -> None:
        _study_with_panel(tmp_path)
        code, out = run("round", "launch", KEY, "--deadline", "next week")
        assert code == 2
        assert "'next week' is not a date; give a date (YYYY-MM-DD" in out
        code, out = run("round", "launch", KEY, "--deadline", "2001-01-01")
        assert code == 2
        assert "has already passed" in out


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
            RoundSnapshot,
            Statement,
            StatementOrigin,
            SurveyState,
        )
        from app.reports import service as reports
        from app.studies import service as studies

        monkeypatch.setenv("DELPHI_MAIL_DIR", str(tmp_path / "mail"))
        get_settings.cache_clear()
        access = demo.run()
        assert "round 3: open" in capsys.readouterr().out
        assert len(access.panelist_links) == 3
        with unit_of_work() as session:
            main = studies.get_by_key_or_raise(session, demo.STUDY_KEY)
            numbers = session.scalars(
                select(Round.number).where(Round.survey_id == main.id).order_by(Round.number)
            ).all()
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
            assert set(session.scalars(select(Reason.language))) == {
                "en",
                "fr",
                "es",
                "ar",
                "zh",
                "ru",
            }
            assert HiddenCause.PERSONAL_DATA in set(session.scalars(select(Reason.hidden_cause)))
            marked = session.scalar(
                select(func.count()).select_from(Endorsement).where(Endorsement.persuasive)
            )
            assert marked
            # the finished pilot has a final report, its amendment listed
            pilot = studies.get_by_key_or_raise(session, demo.PILOT_KEY)
            assert pilot.state == SurveyState.FINISHED
            report = reports.build(session, pilot)
            assert [r["number"] for r in report["rounds"]] == [1, 2]
            assert len(report["plan"]["amendments"]) == 1
            # the real-time study's checkpoint carries its rankings, each topic ranked by
            # enough panelists for its figures
            live = studies.get_by_key_or_raise(session, demo.LIVE_STUDY_KEY)
            checkpoint = session.scalar(
                select(RoundSnapshot)
                .join(Round, Round.id == RoundSnapshot.round_id)
                .where(Round.survey_id == live.id, Round.checkpoint_of.is_not(None))
            )
            assert checkpoint is not None
            rankings = checkpoint.results["rankings"]
            assert len(rankings) == len(live.topics)
            assert all(r["rankers"] >= live.min_group_size for r in rankings)


class TestStart:
    """A command that needs no statistics and serves no page starts without their libraries."""

    HEAVY = ("scipy", "numpy", "fastapi", "jinja2")
    # What the study list does without: the study-file parser, migrations, passwords and
    # sealing; --help also without the database layer and the settings.
    PARSING = ("yaml", "app.studies.service", "alembic", "argon2", "cryptography")
    DATABASE = ("sqlalchemy", "pydantic_settings", "app.models", "app.db")
    WATCHED = HEAVY + PARSING + DATABASE

    def loaded(self, database: str, *args: str) -> set[str]:
        code = (
            "import sys\n"
            "from app.cli import main\n"
            f"sys.argv = ['delphi', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"watched = {self.WATCHED!r}\n"
            "print('loaded:', *(m for m in watched if m in sys.modules), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "DELPHI_DATABASE_URL": database},
            check=True,
        )
        return set(done.stderr.splitlines()[-1].split()[1:])

    def test_help_and_the_study_list(self, cli_database: str) -> None:
        run("db", "upgrade")
        assert self.loaded(cli_database, "--help") == set()
        assert self.loaded(cli_database, "survey", "list") == set(self.DATABASE)

    def test_the_engine_imports_scipy_only_when_a_statistic_runs(self) -> None:
        code = (
            "import sys, engine\n"
            "assert 'scipy' not in sys.modules and 'numpy' not in sys.modules\n"
            "engine.Scale\n"
            "assert 'scipy' not in sys.modules\n"
            "assert sorted(engine.__all__) == sorted([*engine._WHERE, '__version__'])\n"
            "engine.median_ci([1.0, 2.0, 3.0])\n"
            "assert 'scipy' in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
