"""Opening the emailed link: exchanged for a session, every failure the same 404."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Panelist, Respondent, Round, Submission, Survey
from app.rounds import service as rounds
from tests.app.participation.conftest import Page, token_for


class TestLinkExchange:
    def test_redirects_to_a_url_without_the_token(
        self, client: TestClient, db: Session, round1: Round, panel: list[Panelist]
    ) -> None:
        token = token_for(db, round1, panel[0])
        response = client.get(f"/r/{token}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/round"
        assert token not in response.headers["location"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"

    def test_session_cookie_is_httponly_and_samesite_lax(
        self, client: TestClient, db: Session, round1: Round, panel: list[Panelist]
    ) -> None:
        response = client.get(f"/r/{token_for(db, round1, panel[0])}", follow_redirects=False)
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("delphi_session=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        # Secure is set outside development and tests (see Settings.cookie_secure).
        assert "secure" not in cookie.replace("samesite", "")

    def test_the_questionnaire_opens_after_the_exchange(
        self, client: TestClient, db: Session, round1: Round, panel: list[Panelist]
    ) -> None:
        response = client.get(f"/r/{token_for(db, round1, panel[0])}")
        assert response.status_code == 200
        assert str(response.url).endswith("/round")
        assert "Topic 1 of 3" in response.text
        assert "Save and continue" in response.text

    def test_opening_and_reading_store_nothing(
        self, client: TestClient, db: Session, round1: Round, panel: list[Panelist]
    ) -> None:
        # Mail scanners prefetch links: a GET must not start a response or a pseudonym.
        client.get(f"/r/{token_for(db, round1, panel[0])}")
        client.get("/round")
        assert db.scalar(select(func.count()).select_from(Respondent)) == 0
        assert db.scalar(select(func.count()).select_from(Submission)) == 0

    def test_the_token_is_not_logged(
        self,
        client: TestClient,
        db: Session,
        round1: Round,
        panel: list[Panelist],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        token = token_for(db, round1, panel[0])
        with caplog.at_level(logging.DEBUG):
            client.get(f"/r/{token}")
            client.get(f"/r/{token}x")
        # The test client logs its own requests; everything server-side must not.
        server_side = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
        assert not any(token in message for message in server_side)


class TestLinksThatDoNotWork:
    def _not_found(self, client: TestClient, path: str) -> str:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers
        return response.text

    def test_every_failure_shows_the_same_page(
        self,
        client: TestClient,
        db: Session,
        survey: Survey,
        round1: Round,
        panel: list[Panelist],
    ) -> None:
        expired = token_for(db, round1, panel[1])
        rounds.close(db, survey, round1, actor="test")
        pages = {
            "unknown": self._not_found(client, "/r/" + "A" * 43),
            "expired": self._not_found(client, f"/r/{expired}"),
            "malformed": self._not_found(client, "/r/%25%00not/a token!"),
            "too long": self._not_found(client, "/r/" + "a" * 500),
            "empty": self._not_found(client, "/r/"),
        }
        assert len(set(pages.values())) == 1
        page = Page(pages["unknown"])
        # The panelist is unknown, so the page speaks every language, each marked as such.
        notices = page.all("div", **{"class": "notice"})
        assert [d["lang"] for d in notices] == ["en", "ar", "es", "fr", "ru", "zh"]
        assert [d["dir"] for d in notices] == ["ltr", "rtl", "ltr", "ltr", "ltr", "ltr"]
        assert "This link does not work" in page.text
        assert "Este enlace no funciona" in page.text
        assert "Ce lien ne fonctionne pas" in page.text

    def test_the_questionnaire_without_a_session_shows_the_same_page(
        self, client: TestClient, round1: Round
    ) -> None:
        unknown = self._not_found(client, "/r/" + "A" * 43)
        assert self._not_found(client, "/round") == unknown

    def test_a_bad_link_leaves_a_working_session_alone(
        self,
        client: TestClient,
        db: Session,
        survey: Survey,
        round1: Round,
        panel: list[Panelist],
    ) -> None:
        client.get(f"/r/{token_for(db, round1, panel[0])}")
        response = client.get("/r/" + "B" * 43)
        assert response.status_code == 404
        assert client.get("/round").status_code == 200
