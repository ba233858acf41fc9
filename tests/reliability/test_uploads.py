"""Bad uploads are 422s with the line at fault, in the console and in the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.models import Panelist, Survey
from app.studies.service import MAX_DEPTH
from tests.app.conftest import STUDY_FILE

DEPTH_BOMB = "key: bomb\ntitle: " + "[" * 10_000 + "]" * 10_000 + "\n"
BLOCK_BOMB = "key: bomb\ntitle:\n" + "".join("  " * i + "- \n" for i in range(1_000))
# Six lines that stand for 10**6 values.
ALIAS_BOMB = "key: bomb\n" + "".join(
    f"l{n}: &l{n} [{', '.join([f'*l{n - 1}' if n else '1'] * 10)}]\n" for n in range(6)
)
HEADER = "email,name,stakeholder_group\n"
HUGE_CELL = HEADER + "a@example.org,A,ngo\n" + "b@example.org," + "B" * 1_900_000 + ",ngo\n"
LONG_NAME = HEADER + "a@example.org,A,ngo\n" + "b@example.org," + "B" * 5_000 + ",ngo\n"


def _surveys(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Survey)) or 0)


class TestStudyUpload:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (DEPTH_BOMB, f"bomb.yaml:2: nested deeper than {MAX_DEPTH} levels"),
            (BLOCK_BOMB, f"bomb.yaml:{MAX_DEPTH + 2}: nested deeper than {MAX_DEPTH} levels"),
            (ALIAS_BOMB, "bomb.yaml:6: more than 100,000 values in the file"),
        ],
        ids=["flow nesting", "block nesting", "aliases"],
    )
    def test_a_bomb_is_refused_with_its_line(
        self, post_form: Callable[..., Any], db: Session, text: str, message: str
    ) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("bomb.yaml", text.encode())},
        )

        assert page.status_code == 422
        assert message in page.text
        assert _surveys(db) == 0


class TestPanelUpload:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                HUGE_CELL,
                "panel.csv: line 3: not valid CSV: a field is longer than 131072 characters",
            ),
            (LONG_NAME, "line 3: name: longer than 1000 characters"),
        ],
        ids=["1.9 MB cell", "5 kB cell"],
    )
    def test_a_huge_cell_is_refused_with_its_line(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        text: str,
        message: str,
    ) -> None:
        page = post_form(
            f"/console/studies/{survey.key}/panel",
            f"/console/studies/{survey.key}/panel",
            files={"file": ("panel.csv", text.encode())},
        )

        assert page.status_code == 422
        assert message in page.text
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def _database(self, live_database: str) -> None:
        """A committed database the commands open themselves."""

    def test_survey_import_of_a_bomb_exits_2_with_the_line(self, tmp_path: Path) -> None:
        for name, text in (("deep.yaml", DEPTH_BOMB), ("aliases.yaml", ALIAS_BOMB)):
            bomb = tmp_path / name
            bomb.write_text(text, encoding="utf-8")

            code, out = run("survey", "import", str(bomb))

            assert code == 2
            assert f"{bomb}:" in out
            assert "nested deeper than" in out or "more than 100,000 values" in out

    def test_survey_import_of_a_file_over_the_size_limit_exits_2(self, tmp_path: Path) -> None:
        large = tmp_path / "large.yaml"
        large.write_text("# padding\n" * 300_000, encoding="utf-8")

        assert run("survey", "import", str(large)) == (
            2,
            f"error: {large}: the file is larger than 2 MB\n",
        )

    def test_panel_import_of_a_huge_cell_exits_2_with_the_line(self, tmp_path: Path) -> None:
        assert run("survey", "import", str(STUDY_FILE))[0] == 0
        panel = tmp_path / "panel.csv"
        panel.write_text(HUGE_CELL.replace(",ngo", ",academia"), encoding="utf-8")

        code, out = run("panel", "import", "crime-prevention-2027", str(panel))

        assert code == 2
        assert f"{panel}: line 3: not valid CSV: a field is longer than 131072 characters" in out
