"""Console fixtures: a facilitator, a signed-in client, a panel, submitted answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.console import accounts
from app.models import Facilitator, Panelist, Role, Round, Survey
from app.panel.service import PanelRow, import_rows, list_for
from app.team import service as team
from tests.app import factories

EMAIL = "fran@example.org"
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Submit the sign-in form as a browser would; the response is not followed."""
    token = csrf_from(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.fixture
def facilitator(db: Session, request: pytest.FixtureRequest) -> Facilitator:
    """Fran's account; owner of the demo study when the test has it."""
    account = accounts.create(db, email=EMAIL, name="Fran Facilitator", password=PASSWORD)
    for name in ("survey", "ranking_survey"):
        if name in request.fixturenames:
            team.add(db, request.getfixturevalue(name), account, Role.OWNER, actor="test")
    return account


@pytest.fixture
def signed_in(client: TestClient, facilitator: Facilitator) -> TestClient:
    """The test client, signed in through the login form."""
    assert sign_in(client).status_code == 303
    return client


@pytest.fixture
def post_form(signed_in: TestClient) -> Callable[..., Any]:
    """POST a console form the way a browser would: token taken from the page it is on."""

    def post(page_url: str, action: str, data: dict[str, str] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        token = csrf_from(signed_in.get(page_url).text)
        return signed_in.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)

    return post


@pytest.fixture
def make_panel(db: Session, survey: Survey) -> Callable[[dict[str, int]], list[Panelist]]:
    """Add ``{group: size}`` panelists to the demo study."""

    def make(sizes: dict[str, int]) -> list[Panelist]:
        rows = [
            PanelRow(
                email=f"{group}-{i}@example.org",
                name=f"Panelist {group} {i}",
                stakeholder_group=group,
                language="en",
            )
            for group, size in sizes.items()
            for i in range(size)
        ]
        import_rows(db, survey, rows, actor="test")
        return list_for(db, survey)

    return make


@pytest.fixture
def submit(db: Session, survey: Survey) -> Callable[..., None]:
    """Store a panelist's submitted answers: ``ratings(statement_key, criterion_key)``."""

    def answer(
        round_: Round,
        panelists: Iterable[Panelist],
        ratings: Callable[[Panelist, str, str], int | None],
    ) -> None:
        for panelist in panelists:
            factories.submit(
                db,
                survey,
                round_,
                panelist,
                lambda j, c, panelist=panelist: ratings(
                    panelist, round_.items[j].statement.key, survey.criteria[c].key
                ),
            )

    return answer
