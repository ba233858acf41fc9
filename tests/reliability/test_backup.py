"""``delphi backup`` and ``delphi restore``: a panelist's draft survives, through the app."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from typer.testing import CliRunner

from app.cli import cli
from app.errors import Invalid
from tests.app.conftest import STUDY_FILE, migrate, scratch_database
from tests.app.participation.conftest import csrf_of, full_form

KEY = "crime-prevention-2027"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point the settings, the engine and so the CLI and the app at ``url``."""
    from app.config import get_settings
    from app.db import get_engine

    get_engine().dispose()
    monkeypatch.setenv("DELPHI_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second database of the kind under test, with nothing in it."""
    yield from scratch_database(tmp_path_factory, "restored")


@dataclass
class Panelist:
    """A panelist with their emailed link and the app they answer through."""

    token: str
    field: str  # one rating on their questionnaire
    form: dict[str, str]

    def open(self, client: TestClient) -> str:
        """Open the link as from the email; the questionnaire page."""
        response = client.get(f"/r/{self.token}")
        assert response.status_code == 200, response.text
        return response.text

    def post(self, client: TestClient, form: dict[str, str], action: str) -> None:
        page = self.open(client)
        response = client.post(
            "/round",
            data={**form, "action": action, "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def shows_draft(self, page: str, value: str) -> bool:
        return bool(re.search(rf'name="{self.field}" value="{value}" checked', page))


@pytest.fixture
def panelist(live_database: str) -> Panelist:
    """A study with an open round and one invited panelist, committed."""
    from app.db import unit_of_work
    from app.models import Panelist as PanelistRow
    from app.rounds import links
    from app.rounds import service as rounds
    from app.studies import service as studies

    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY_FILE, actor="test")
        row = PanelistRow(
            survey_id=survey.id,
            email="delegate@example.org",
            name="A Delegate",
            stakeholder_group="ngo",
            language="en",
        )
        session.add(row)
        session.flush()
        round_ = rounds.launch(session, survey, actor="test")
        token = links.mint(session, round_, row).rsplit("/r/", 1)[1]
        form = full_form(survey, round_, 7)
        field = f"r-{round_.items[0].statement_id}-{survey.criteria[0].id}"
    return Panelist(token=token, field=field, form=form)


def app_client() -> TestClient:
    from app.main import create_app

    return TestClient(create_app())


class TestBackupAndRestore:
    def test_a_draft_saved_before_the_backup_is_there_after_the_restore(
        self,
        panelist: Panelist,
        empty_database: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        with app_client() as client:
            panelist.post(client, {panelist.field: "8"}, "save")
            assert panelist.shows_draft(panelist.open(client), "8")
        backup = tmp_path / "delphi.backup"

        code, out = run("backup", str(backup))

        assert code == 0, out
        assert "Keep the secret key with this backup" in out
        use_database(monkeypatch, empty_database)
        code, out = run("restore", str(backup))
        assert code == 0, out
        assert "Keep the secret key with this backup" in out
        with app_client() as restored:
            assert panelist.shows_draft(panelist.open(restored), "8")

    def test_restore_refuses_a_database_in_use_without_force(
        self, panelist: Panelist, tmp_path: Path
    ) -> None:
        backup = tmp_path / "delphi.backup"
        assert run("backup", str(backup))[0] == 0
        with app_client() as client:
            panelist.post(client, {panelist.field: "3"}, "save")

        code, out = run("restore", str(backup))
        assert code == 2
        assert "is not empty; pass --force" in out
        with app_client() as client:
            assert panelist.shows_draft(panelist.open(client), "3")

        assert run("restore", str(backup), "--force")[0] == 0
        with app_client() as client:
            assert not panelist.shows_draft(panelist.open(client), "3")

    def test_backup_refuses_to_overwrite_a_file_without_force(
        self, live_database: str, tmp_path: Path
    ) -> None:
        backup = tmp_path / "delphi.backup"
        backup.write_bytes(b"something else")

        assert run("backup", str(backup)) == (
            2,
            f"error: {backup} exists; pass --force to replace it\n",
        )
        assert backup.read_bytes() == b"something else"
        assert run("backup", str(backup), "--force")[0] == 0

    def test_restored_under_another_secret_it_says_the_answers_are_out_of_reach(
        self,
        panelist: Panelist,
        empty_database: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        with app_client() as client:
            panelist.post(client, panelist.form, "submit")
        backup = tmp_path / "delphi.backup"
        assert run("backup", str(backup))[0] == 0

        use_database(monkeypatch, empty_database)
        monkeypatch.setenv("DELPHI_SECRET_KEY", "another-secret-key-that-is-long-enough-987")
        code, out = run("restore", str(backup))

        assert code == 0
        assert "the secret key in use does not match this data" in out

    def test_an_older_backup_is_upgraded_to_the_newest_schema(
        self,
        tmp_path_factory: pytest.TempPathFactory,
        empty_database: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from app.db import make_engine

        for old in scratch_database(tmp_path_factory, "old"):
            migrate(old)
            migrate(old, "base", down=True)  # as old as a schema gets: no tables yet
            use_database(monkeypatch, old)
            backup = tmp_path / "old.backup"
            assert run("backup", str(backup))[0] == 0
            use_database(monkeypatch, empty_database)

        code, out = run("restore", str(backup))

        assert code == 0, out
        assert "upgraded from schema base" in out
        engine = make_engine(empty_database)
        assert {"survey", "panelist", "respondent"} <= set(inspect(engine).get_table_names())
        engine.dispose()


class TestRefusals:
    def test_a_backup_from_a_newer_version_is_refused(self, tmp_path: Path) -> None:
        from app.backup import service

        newer = tmp_path / "newer.sqlite3"
        with sqlite3.connect(newer) as connection:
            connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            connection.execute("INSERT INTO alembic_version VALUES ('9999_future')")
        connection.close()

        with pytest.raises(Invalid, match="'9999_future', which this version"):
            service.restore(f"sqlite:///{tmp_path / 'target.sqlite3'}", newer)

    def test_a_file_that_is_not_a_backup_is_refused(self, tmp_path: Path) -> None:
        from app.backup import service

        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"not a database at all" * 100)

        with pytest.raises(Invalid, match="not a Delphi SQLite database"):
            service.restore(f"sqlite:///{tmp_path / 'target.sqlite3'}", junk)

    def test_without_pg_dump_the_command_to_run_is_printed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL tools in it
        monkeypatch.setenv(
            "DELPHI_DATABASE_URL", "postgresql+psycopg://delphi:s3cret@db.internal/delphi"
        )
        from app.config import get_settings

        get_settings.cache_clear()
        try:
            code, out = run("backup", str(tmp_path / "delphi.dump"))
        finally:
            get_settings.cache_clear()

        assert code == 1
        assert "pg_dump is not on PATH" in out
        assert (
            f"PGPASSWORD=... pg_dump --format=custom --file={tmp_path / 'delphi.dump'} "
            "--dbname=postgresql://delphi@db.internal/delphi"
        ) in out
        assert "s3cret" not in out
