"""Signing in and out of the console, and what a signed-out visitor can reach."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditLog, Facilitator, Round, Survey

from .conftest import EMAIL, PASSWORD, csrf_from


def _login(client: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


class TestLogin:
    def test_right_credentials_open_the_console(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        response = _login(client, EMAIL, PASSWORD)

        assert response.status_code == 303
        assert response.headers["location"].endswith("/console")
        page = client.get("/console")
        assert page.status_code == 200
        assert "Fran Facilitator" in page.text
        assert db.scalar(
            select(AuditLog).where(AuditLog.action == "facilitator.login", AuditLog.actor == EMAIL)
        )

    @pytest.mark.parametrize(
        ("email", "password"),
        [(EMAIL, "not the password"), ("nobody@example.org", PASSWORD), ("", "")],
    )
    def test_wrong_credentials_get_one_generic_message(
        self, client: TestClient, facilitator: Facilitator, email: str, password: str
    ) -> None:
        response = _login(client, email, password)

        assert response.status_code == 401
        assert "The email or password is wrong." in response.text
        assert client.get("/console", follow_redirects=False).status_code == 303

    def test_signing_in_starts_a_fresh_session(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        before = csrf_from(client.get("/console/login").text)
        _login(client, EMAIL, PASSWORD)

        after = csrf_from(client.get("/console").text)
        assert after != before
        stale = client.post("/console/logout", data={"csrf_token": before})
        assert stale.status_code == 403

    def test_returns_to_the_page_asked_for(
        self, client: TestClient, facilitator: Facilitator, survey: Survey
    ) -> None:
        asked = client.get(f"/console/studies/{survey.key}", follow_redirects=False)
        login_page = client.get(asked.headers["location"])
        response = client.post(
            "/console/login",
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "next": f"/console/studies/{survey.key}",
                "csrf_token": csrf_from(login_page.text),
            },
            follow_redirects=False,
        )

        assert response.headers["location"] == f"/console/studies/{survey.key}"

    def test_never_redirects_off_the_console(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        token = csrf_from(client.get("/console/login").text)
        response = client.post(
            "/console/login",
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "next": "//evil.example/console",
                "csrf_token": token,
            },
            follow_redirects=False,
        )

        assert response.headers["location"] == "/console"


class TestLogout:
    def test_signs_out_and_closes_the_console(self, signed_in: TestClient) -> None:
        token = csrf_from(signed_in.get("/console").text)

        response = signed_in.post("/console/logout", data={"csrf_token": token})

        assert response.status_code == 200
        assert "You are signed out." in response.text
        assert signed_in.get("/console", follow_redirects=False).status_code == 303


class TestPagesRequireLogin:
    @pytest.mark.parametrize(
        "path",
        [
            "/console",
            "/console/import-study",
            "/console/studies/{key}",
            "/console/studies/{key}/panel",
            "/console/studies/{key}/finish",
            "/console/studies/{key}/rounds/1",
            "/console/studies/{key}/rounds/1/close",
        ],
    )
    def test_pages_redirect_to_the_login_form(
        self, client: TestClient, survey: Survey, path: str
    ) -> None:
        response = client.get(path.format(key=survey.key), follow_redirects=False)

        assert response.status_code == 303
        assert "/console/login?next=" in response.headers["location"]

    @pytest.mark.parametrize(
        "path",
        [
            "/console/logout",
            "/console/import-study",
            "/console/studies/{key}/panel",
            "/console/studies/{key}/rounds",
            "/console/studies/{key}/rounds/1/remind",
            "/console/studies/{key}/rounds/1/close",
            "/console/studies/{key}/finish",
        ],
    )
    def test_actions_do_nothing_without_login(
        self, client: TestClient, survey: Survey, db: Session, path: str
    ) -> None:
        token = csrf_from(client.get("/console/login").text)

        response = client.post(
            path.format(key=survey.key), data={"csrf_token": token}, follow_redirects=False
        )

        assert response.status_code == 303
        assert response.headers["location"].endswith("/console/login")
        assert db.scalar(select(func.count()).select_from(Round)) == 0


class TestCsrf:
    @pytest.mark.parametrize("token", [None, "forged-token"])
    @pytest.mark.parametrize(
        "path",
        [
            "/console/logout",
            "/console/studies/{key}/rounds",
            "/console/studies/{key}/rounds/1/remind",
            "/console/studies/{key}/rounds/1/close",
            "/console/studies/{key}/finish",
        ],
    )
    def test_forms_without_the_session_token_are_refused(
        self, signed_in: TestClient, survey: Survey, db: Session, path: str, token: str | None
    ) -> None:
        data = {"csrf_token": token} if token else {}

        response = signed_in.post(path.format(key=survey.key), data=data)

        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert db.scalar(select(func.count()).select_from(Round)) == 0

    @pytest.mark.parametrize("path", ["/console/import-study", "/console/studies/{key}/panel"])
    def test_uploads_without_the_token_are_refused(
        self, signed_in: TestClient, survey: Survey, path: str
    ) -> None:
        response = signed_in.post(
            path.format(key=survey.key), files={"file": ("x.csv", b"email,name\n")}
        )

        assert response.status_code == 403

    def test_the_login_form_needs_its_token(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        client.get("/console/login")

        response = client.post("/console/login", data={"email": EMAIL, "password": PASSWORD})

        assert response.status_code == 403
        assert client.get("/console", follow_redirects=False).status_code == 303
