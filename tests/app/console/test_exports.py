"""Console downloads of a closed round: the workbook and each table, as the API gives them."""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import keys
from app.exports import service as exports
from app.models import Panelist, Round, Survey
from app.rounds import service as rounds

BASE = "/console/studies/crime-prevention-2027/rounds/1"


@pytest.fixture
def closed_round(
    db: Session,
    survey: Survey,
    make_panel: Callable[..., list[Panelist]],
    submit: Callable[..., None],
) -> Round:
    panel = make_panel({"member-state": 6, "ngo": 6, "academia": 3})
    round_ = rounds.launch(db, survey, actor="test")
    submit(round_, panel, lambda p, s, c: 5 if p.stakeholder_group == "ngo" else 2)
    rounds.close(db, survey, round_, actor="test")
    return round_


class TestConsoleExports:
    def test_the_report_links_every_download(self, signed_in: TestClient, closed_round):
        html = signed_in.get(BASE).text

        assert f'href="{BASE}/export.xlsx"' in html
        for name in exports.names():
            assert f'href="{BASE}/export/{name}.csv"' in html

    def test_the_downloads_are_the_api_tables(self, signed_in: TestClient, db, closed_round):
        api = {"Authorization": f"Bearer {keys.create(db, name='tests')}"}
        book = openpyxl.load_workbook(
            io.BytesIO(signed_in.get(f"{BASE}/export.xlsx").content), read_only=True
        )

        assert book.sheetnames == exports.names()
        for name in exports.names():
            console = signed_in.get(f"{BASE}/export/{name}.csv")
            assert console.status_code == 200
            assert console.headers["cache-control"] == "no-store"
            assert (
                console.text
                == signed_in.get(
                    f"/api/v1/studies/crime-prevention-2027/rounds/1/tables/{name}.csv", headers=api
                ).text
            )

    def test_downloads_need_a_facilitator(self, client: TestClient, closed_round):
        response = client.get(f"{BASE}/export.xlsx", follow_redirects=False)

        assert response.status_code in (302, 303, 401)

    def test_an_open_round_and_an_unknown_table_are_refused(
        self, signed_in: TestClient, db, survey, make_panel
    ):
        make_panel({"ngo": 6})
        rounds.launch(db, survey, actor="test")

        assert signed_in.get(f"{BASE}/export.xlsx").status_code == 409
        rounds.close(db, survey, rounds.get_or_raise(db, survey, 1), actor="test")
        assert signed_in.get(f"{BASE}/export/panelists.csv").status_code == 404
