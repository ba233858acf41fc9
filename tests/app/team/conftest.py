"""Team fixtures: accounts in each role of the demo study, and one of another study."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.console import accounts
from app.models import Facilitator, Role, Survey
from app.studies import service as studies
from app.team import service as team
from tests.app.conftest import STUDY_FILE
from tests.app.console.conftest import PASSWORD, sign_in


@pytest.fixture
def other_survey(db: Session) -> Survey:
    """A second study, under another key."""
    definition = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    definition["key"] = "other-study"
    text = yaml.safe_dump(definition, allow_unicode=True)
    return studies.create(db, studies.parse(text, "other.yaml"), text, actor="test")


@pytest.fixture
def account(db: Session) -> Callable[[str, Survey | None, Role | None], Facilitator]:
    """An account ``name@example.org`` with ``role`` in ``survey``."""

    def make(name: str, survey: Survey | None = None, role: Role | None = None) -> Facilitator:
        created = accounts.create(db, email=f"{name}@example.org", name=name, password=PASSWORD)
        if survey is not None and role is not None:
            team.add(db, survey, created, role, actor="test")
        return created

    return make


@pytest.fixture
def as_account(client: TestClient) -> Callable[[Facilitator], TestClient]:
    """The test client signed in as ``account``."""

    def use(account: Facilitator) -> TestClient:
        client.cookies.clear()
        assert sign_in(client, account.email, PASSWORD).status_code == 303
        return client

    return use
