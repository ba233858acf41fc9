"""API keys: created once, only hashed at rest, required on every analyst route."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.api import keys
from app.errors import Invalid
from app.models import ApiKey
from app.models.base import utcnow

ROUTES = [
    "/api/v1/studies",
    "/api/v1/studies/crime-prevention-2027/rounds",
    "/api/v1/studies/crime-prevention-2027/rounds/1/metrics",
    "/api/v1/studies/crime-prevention-2027/rounds/1/ratings.csv",
]


class TestCreateKey:
    def test_the_full_key_is_returned_once_and_only_its_hash_is_stored(self, db):
        full = keys.create(db, name="notebook")

        row = db.scalar(select(ApiKey).where(ApiKey.name == "notebook"))
        assert full.startswith("dk_")
        assert full not in (row.prefix, row.key_hash)
        assert keys.authenticate(db, full) == row

    def test_a_blank_name_is_refused(self, db):
        with pytest.raises(Invalid, match="name"):
            keys.create(db, name="  ")


class TestAuthentication:
    @pytest.mark.parametrize("path", ROUTES)
    def test_without_a_key_every_route_answers_401(self, client, survey, path):
        response = client.get(path)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "API key" in response.json()["detail"]

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer not-a-key",
            "Bearer dk_000000000000_wrongsecret",
            "Basic dXNlcjpwYXNz",
            "Bearer ",
        ],
    )
    def test_a_malformed_or_unknown_key_is_refused(self, client, header):
        response = client.get("/api/v1/studies", headers={"Authorization": header})

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_a_known_prefix_with_the_wrong_secret_is_refused(self, client, db):
        full = keys.create(db, name="tampered")
        forged = full[:-4] + ("AAAA" if not full.endswith("AAAA") else "BBBB")

        response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {forged}"})

        assert response.status_code == 401

    def test_a_revoked_key_is_refused(self, client, db):
        full = keys.create(db, name="revoked")
        db.scalar(select(ApiKey).where(ApiKey.name == "revoked")).revoked_at = utcnow()
        db.flush()

        response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {full}"})

        assert response.status_code == 401

    def test_a_valid_key_is_accepted(self, client, auth):
        assert client.get("/api/v1/studies", headers=auth).status_code == 200
