"""Bad requests get a clear 4xx answer, never a 500 or a stack trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import keys


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
