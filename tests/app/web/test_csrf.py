"""CSRF tokens: bound to the session, masked afresh in every page (BREACH)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.testclient import TestClient
from starlette.middleware.sessions import SessionMiddleware

from app.web.csrf import CsrfError, CsrfProtected, csrf_token

SESSION_COOKIE = "session"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _form_app() -> FastAPI:
    """A page with a form, and the POST it goes to, guarded like the real ones."""
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="test-only", session_cookie=SESSION_COOKIE)

    @app.get("/form", response_class=HTMLResponse)
    def form(request: Request) -> str:
        return f'<form method="post"><input name="csrf_token" value="{csrf_token(request)}"></form>'

    @app.post("/form", dependencies=[CsrfProtected])
    def post() -> dict[str, bool]:
        return {"accepted": True}

    @app.exception_handler(CsrfError)
    async def _refused(request: Request, exc: CsrfError) -> Response:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    return app


def _token(client: TestClient, path: str = "/form") -> str:
    match = _TOKEN.search(client.get(path).text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _session_secret(client: TestClient, cookie: str = SESSION_COOKIE) -> str:
    """The secret the signed session cookie holds (its payload is readable, not forgeable)."""
    payload = client.cookies[cookie].split(".", 1)[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return str(data["csrf"])


@pytest.fixture
def browser() -> TestClient:
    return TestClient(_form_app())


class TestMaskedTokens:
    def test_two_renders_give_different_tokens_and_both_are_accepted(
        self, browser: TestClient
    ) -> None:
        first, second = _token(browser), _token(browser)

        assert first != second
        assert browser.post("/form", data={"csrf_token": first}).status_code == 200
        assert browser.post("/form", data={"csrf_token": second}).status_code == 200

    def test_the_session_secret_never_appears_in_a_page(self, browser: TestClient) -> None:
        page = browser.get("/form").text

        assert _session_secret(browser) not in page


class TestRefusedTokens:
    def test_a_tampered_token_is_refused(self, browser: TestClient) -> None:
        token = _token(browser)
        flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

        response = browser.post("/form", data={"csrf_token": flipped})

        assert response.status_code == 403
        assert "did not come from this site" in response.json()["detail"]

    @pytest.mark.parametrize(
        "token",
        ["", "not base64!", "AAAA", "A" * 5000, "\x00", "é" * 20],
        ids=["empty", "garbage", "short", "huge", "nul", "non-ascii"],
    )
    def test_malformed_tokens_are_refused(self, browser: TestClient, token: str) -> None:
        _token(browser)

        assert browser.post("/form", data={"csrf_token": token}).status_code == 403

    def test_the_unmasked_secret_itself_is_refused(self, browser: TestClient) -> None:
        _token(browser)

        response = browser.post("/form", data={"csrf_token": _session_secret(browser)})

        assert response.status_code == 403

    def test_a_token_from_another_session_is_refused(self) -> None:
        app = _form_app()
        mine, theirs = TestClient(app), TestClient(app)
        _token(mine)

        response = mine.post("/form", data={"csrf_token": _token(theirs)})

        assert response.status_code == 403

    def test_a_form_without_a_session_is_refused(self, browser: TestClient) -> None:
        token = _token(browser)
        browser.cookies.clear()

        assert browser.post("/form", data={"csrf_token": token}).status_code == 403


class TestRealPages:
    def test_each_console_page_carries_a_fresh_token_that_works(self, client: TestClient) -> None:
        first, second = _token(client, "/console/login"), _token(client, "/console/login")

        assert first != second
        assert _session_secret(client, "delphi_session") not in client.get("/console/login").text
        for token in (first, second):
            response = client.post(
                "/console/login",
                data={"email": "nobody@example.org", "password": "wrong", "csrf_token": token},
            )
            assert response.status_code == 401  # past the CSRF check, refused on credentials
