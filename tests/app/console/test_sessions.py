"""Console sessions end on sign-out everywhere, and twelve hours after sign-in at most."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.console import auth
from app.models import Facilitator
from app.models.base import utcnow

from .conftest import csrf_from, sign_in

SESSION_COOKIE = "delphi_session"


def _is_signed_in(client: TestClient) -> bool:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code in (200, 303)
    if response.status_code == 303:
        assert "/console/login" in response.headers["location"]
    return response.status_code == 200


def _copy_of(app: FastAPI, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = TestClient(app)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def _sign_out(client: TestClient) -> None:
    token = csrf_from(client.get("/console").text)
    response = client.post("/console/logout", data={"csrf_token": token})
    assert "You are signed out." in response.text


class TestSignOutRevokes:
    def test_a_copied_cookie_stops_working_after_sign_out(
        self, app: FastAPI, signed_in: TestClient
    ) -> None:
        copy = _copy_of(app, signed_in)
        assert _is_signed_in(copy)

        _sign_out(signed_in)

        assert not _is_signed_in(copy)
        assert not _is_signed_in(signed_in)

    def test_signing_out_ends_the_sessions_in_other_browsers(
        self, app: FastAPI, signed_in: TestClient, facilitator: Facilitator
    ) -> None:
        laptop = TestClient(app)
        assert sign_in(laptop).status_code == 303

        _sign_out(signed_in)

        assert not _is_signed_in(laptop)

    def test_signing_in_again_works_but_old_copies_stay_dead(
        self, app: FastAPI, signed_in: TestClient, db: Session, facilitator: Facilitator
    ) -> None:
        copy = _copy_of(app, signed_in)
        _sign_out(signed_in)

        assert sign_in(signed_in).status_code == 303

        assert _is_signed_in(signed_in)
        assert not _is_signed_in(copy)
        db.refresh(facilitator)
        assert facilitator.session_version == 1

    def test_a_rejected_session_asks_for_sign_in_and_returns_to_the_page(
        self, app: FastAPI, signed_in: TestClient
    ) -> None:
        copy = _copy_of(app, signed_in)
        _sign_out(signed_in)

        response = copy.get("/console/import-study", follow_redirects=False)

        assert response.status_code == 303
        location = response.headers["location"]
        assert location.endswith("/console/login?next=%2Fconsole%2Fimport-study")


class TestSessionLifetime:
    @pytest.fixture
    def later(self, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
        """Move the console's clock forward by a given time."""

        def move(by: dt.timedelta) -> None:
            moment = utcnow() + by
            monkeypatch.setattr(auth, "utcnow", lambda: moment)

        return move

    def test_a_session_still_works_just_under_twelve_hours(
        self, signed_in: TestClient, later
    ) -> None:
        later(dt.timedelta(hours=11, minutes=59))

        assert _is_signed_in(signed_in)

    def test_a_session_ends_twelve_hours_after_sign_in_even_if_in_use(
        self, signed_in: TestClient, later
    ) -> None:
        later(dt.timedelta(hours=6))
        assert _is_signed_in(signed_in)

        later(dt.timedelta(hours=12))

        assert not _is_signed_in(signed_in)
