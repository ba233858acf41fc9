"""Bad requests get a clear 4xx answer, never a 500 or a stack trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import i18n
from app.api import keys
from app.errors import N_, Conflict, Say, shown


class TestHtmlErrors:
    def test_unknown_page_is_a_404_page(self, client: TestClient) -> None:
        response = client.get("/no/such/page")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "There is no page at this address." in response.text
        assert response.headers["cache-control"] == "no-store"

    def test_security_headers_on_every_page(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


class TestApiErrors:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/studies/crime-prevention-2027/rounds/99999999999999999999/metrics",
            "/api/v1/studies/crime-prevention-2027/rounds/-1/metrics",
            "/api/v1/studies/%00/rounds",
            "/api/v1/studies/" + "a" * 200 + "/rounds",
        ],
    )
    def test_bad_path_values_are_422_without_echoing_them(
        self, client: TestClient, db: Session, survey: object, path: str
    ) -> None:
        key = keys.create(db, name="errors")
        response = client.get(path, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 422
        assert "99999999999999999999" not in response.text
        assert "aaaaaaaaaa" not in response.text


class TestSay:
    def test_is_the_english_text_and_translates_where_shown(self) -> None:
        message = Say(N_("Round %(number)s"), {"number": 3})
        assert message == "Round 3"
        assert isinstance(message, str)
        with i18n.use_language("fr"):
            assert message.text() == "Tour 3"
            assert shown(message) == "Tour 3"
            assert shown("typed by a person") == "typed by a person"

    def test_a_value_that_is_a_message_is_translated_too(self) -> None:
        message = Say(N_("Round %(number)s"), {"number": Say(N_("closed"))})
        assert message == "Round closed"
        with i18n.use_language("fr"):
            assert message.text() == "Tour " + i18n.translate("closed")
            assert i18n.translate("closed") != "closed"

    def test_a_domain_error_keeps_its_values(self) -> None:
        error = Conflict(N_("Round %(number)s"), number=2)
        assert str(error) == "Round 2"
        with i18n.use_language("fr"):
            assert error.text() == "Tour 2"
