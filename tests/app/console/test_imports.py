"""Uploading a study definition and a panel from the console."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.console.service import MAX_UPLOAD_BYTES
from app.models import Panelist, Survey

STUDY_FILE = Path(__file__).resolve().parents[3] / "surveys" / "crime-prevention-strategy.yaml"


def _study_text(key: str) -> str:
    return STUDY_FILE.read_text(encoding="utf-8").replace(
        "key: crime-prevention-2027", f"key: {key}", 1
    )


class TestStudyUpload:
    def test_a_valid_file_creates_the_study(
        self, post_form: Callable[..., Any], db: Session
    ) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("pilot.yaml", _study_text("pilot-2027").encode())},
        )

        assert page.status_code == 200
        assert "Study pilot-2027 imported." in page.text
        assert db.scalar(select(Survey).where(Survey.key == "pilot-2027")) is not None

    def test_each_problem_is_listed_with_its_line_and_nothing_is_written(
        self, post_form: Callable[..., Any], db: Session
    ) -> None:
        broken = _study_text("broken-2027").replace("scale: {low: 1, high: 5}", "scale: {low: 5}")

        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("broken.yaml", broken.encode())},
        )

        assert page.status_code == 422
        assert "nothing was imported" in page.text
        assert "broken.yaml:126: criteria.1.scale.high" in page.text
        assert db.scalar(select(func.count()).select_from(Survey)) == 0

    def test_a_study_key_already_in_use_is_a_conflict(
        self, post_form: Callable[..., Any], survey: Survey
    ) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("again.yaml", STUDY_FILE.read_bytes())},
        )

        assert page.status_code == 409
        assert "already exists" in page.text

    def test_a_file_that_is_not_text_is_refused(self, post_form: Callable[..., Any]) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("study.yaml", b"\xff\xfe\x00binary")},
        )

        assert page.status_code == 422
        assert "not UTF-8 text" in page.text

    def test_an_oversized_file_is_refused(self, post_form: Callable[..., Any]) -> None:
        page = post_form(
            "/console/import-study",
            "/console/import-study",
            files={"file": ("study.yaml", b"#" * (MAX_UPLOAD_BYTES + 1))},
        )

        assert page.status_code == 422
        assert "larger than 2 MB" in page.text


class TestPanelUpload:
    def test_adds_every_row_and_lists_the_panel(
        self, post_form: Callable[..., Any], survey: Survey
    ) -> None:
        csv = (
            "email,name,stakeholder_group,language\n"
            "ana@example.org,Ana Ruiz,ngo,es\n"
            "ben@example.org,Ben Okafor,academia,\n"
        )
        panel = f"/console/studies/{survey.key}/panel"

        page = post_form(panel, panel, files={"file": ("panel.csv", csv.encode())})

        assert page.status_code == 200
        assert "2 panelists added." in page.text
        assert "Ana Ruiz" in page.text
        assert "ben@example.org" in page.text

    def test_bad_rows_are_reported_by_line_and_nothing_is_added(
        self, post_form: Callable[..., Any], survey: Survey, db: Session
    ) -> None:
        csv = (
            "email,name,stakeholder_group\n"
            "ana@example.org,Ana Ruiz,ngo\n"
            "not-an-email,Ben Okafor,academia\n"
            "cy@example.org,Cy,aliens\n"
        )
        panel = f"/console/studies/{survey.key}/panel"

        page = post_form(panel, panel, files={"file": ("panel.csv", csv.encode())})

        assert page.status_code == 422
        assert "line 3: email:" in page.text
        assert "line 4: stakeholder_group:" in page.text
        assert db.scalar(select(func.count()).select_from(Panelist)) == 0
