"""A real-time study launched for a panel of twelve, and their browsers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.answers import service as answers_store
from app.answers.cells import Layout
from app.models import Panelist, Round, Survey
from app.realtime import live
from app.rounds import links
from app.rounds import service as rounds
from app.studies import service as studies
from tests.app.conftest import ROOT, SavepointTransactions

STUDY = ROOT / "surveys" / "crime-prevention-realtime.yaml"
GROUPS = ("member-state", "ngo", "academia", "private-sector", "institute")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_figures() -> Iterator[None]:
    # Every test's database is the same URL: figures kept from another test would leak in.
    live.forget()
    yield
    live.forget()


@pytest.fixture
def study(db: Session) -> Survey:
    return studies.import_file(db, STUDY, actor="test")


@pytest.fixture
def panel(db: Session, study: Survey) -> list[Panelist]:
    people = [
        Panelist(
            survey_id=study.id,
            email=f"p{i}@example.org",
            name=f"P {i}",
            stakeholder_group=GROUPS[i % 5],
            language="en",
        )
        for i in range(12)
    ]
    db.add_all(people)
    db.flush()
    return people


@pytest.fixture
def live_round(db: Session, study: Survey, panel: list[Panelist]) -> Round:
    return rounds.launch(db, study, actor="test")


@pytest.fixture
def sid(live_round: Round) -> int:
    """The first statement of the live round."""
    return live_round.items[0].statement_id


@pytest.fixture
def layout(study: Survey, live_round: Round) -> Layout:
    return answers_store.layout_of(live_round, study.answer_criteria)


@pytest.fixture
def transactions(db: Session) -> SavepointTransactions:
    return SavepointTransactions(db)


class Panelists:
    """Browsers of a real-time study: one client per panelist, each holding their link."""

    def __init__(self, app, db: Session, round_: Round) -> None:  # type: ignore[no-untyped-def]
        self.app, self.db, self.round = app, db, round_
        self.clients: dict[int, TestClient] = {}

    def client(self, panelist: Panelist) -> TestClient:
        if panelist.id not in self.clients:
            client = TestClient(self.app)
            url = links.mint(self.db, self.round, panelist)
            self.db.flush()
            response = client.get(f"/r/{url.rsplit('/r/', 1)[1]}", follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"] == "/live"
            self.clients[panelist.id] = client
        return self.clients[panelist.id]

    def page(self, panelist: Panelist) -> str:
        response = self.client(panelist).get("/live")
        assert response.status_code == 200, response.text
        return response.text

    def token(self, panelist: Panelist) -> str:
        found = CSRF.search(self.page(panelist))
        assert found
        return found[1]

    def post(self, panelist: Panelist, form: dict[str, str], action: str = "submit"):  # type: ignore[no-untyped-def]
        return self.client(panelist).post(
            "/live",
            data={**form, "action": action, "csrf_token": self.token(panelist)},
            follow_redirects=False,
        )


@pytest.fixture
def panelists(app, db: Session, live_round: Round) -> Panelists:  # type: ignore[no-untyped-def]
    return Panelists(app, db, live_round)


def answer(study: Survey, statement_id: int, rating: int) -> dict[str, str]:
    """A statement rated ``rating`` (at most each scale's top) on every rating criterion."""
    return {f"r-{statement_id}-{c.id}": str(min(rating, c.scale_high)) for c in study.criteria}


def feedback_shown(html: str, statement_id: int) -> bool:
    return f'id="fb-{statement_id}"' in html
