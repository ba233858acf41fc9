"""Security headers on every response of every route, hosts and proxies that are believed."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from app.models import Panelist, Round, Survey
from tests.app.console.conftest import EMAIL, PASSWORD, sign_in
from tests.app.participation.conftest import token_for

ROOT = Path(__file__).resolve().parents[2]
STRICT = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
PRODUCTION_SECRET = "production-secret-for-the-header-tests-0123456789"


def assert_secure_headers(response: Response, *, hsts: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    policy = response.headers.get("content-security-policy", "")
    for directive in STRICT:
        assert directive in policy.split("; "), f"{where}: CSP lacks {directive!r}"
    assert "unsafe-eval" not in policy, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    if hsts:
        assert (
            response.headers.get("strict-transport-security")
            == "max-age=31536000; includeSubDomains"
        ), where
    else:
        assert "strict-transport-security" not in response.headers, where


def _path_values(survey: Survey) -> dict[str, str]:
    # Any other path value (an id) is "1".
    return {"key": survey.key, "number": "1", "token": "A" * 43, "path": "site.css"}


def every_request(app: FastAPI, survey: Survey) -> Iterator[tuple[str, str]]:
    """(method, path) for each route of the app and each of its methods."""
    values = _path_values(survey)
    seen = 0
    for route in iter_route_contexts(app.routes):
        path = route.path_format
        assert path is not None
        if route.name == "static":
            path += "/{path}"
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m[1], "1"), path)
        for method in sorted(route.methods or {"GET"}):
            seen += 1
            yield method, path
    assert seen > 20, "the routes of the app were found"


@pytest.fixture
def boom(app: FastAPI) -> FastAPI:
    """The application with one more route that fails the way a bug would."""

    def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", fail, methods=["GET", "POST"])
    return app


@pytest.fixture
def forgiving(boom: FastAPI) -> Iterator[TestClient]:
    """A client that shows a 500 as the browser would, rather than raising it."""
    with TestClient(boom, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def production(
    monkeypatch: pytest.MonkeyPatch, db: Session
) -> Iterator[tuple[FastAPI, TestClient]]:
    """The app as production builds it, on the test's transaction, at delphi.example.org."""
    from app.config import get_settings
    from app.main import create_app
    from app.web.sessions import get_session

    for name, value in {
        "DELPHI_ENV": "production",
        "DELPHI_SECRET_KEY": PRODUCTION_SECRET,
        "DELPHI_MAIL_BACKEND": "smtp",
        "DELPHI_BASE_URL": "https://delphi.example.org",
        "DELPHI_ALLOWED_HOSTS": "delphi.internal",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        application = create_app()
    finally:
        get_settings.cache_clear()
    application.dependency_overrides[get_session] = lambda: db
    with TestClient(
        application, base_url="https://delphi.example.org", raise_server_exceptions=False
    ) as client:
        yield application, client


class TestEveryRoute:
    def test_every_route_and_method_answers_with_the_headers(
        self, forgiving: TestClient, boom: FastAPI, survey: Survey, facilitator: object
    ) -> None:
        statuses = set()
        for signed_in in (False, True):
            if signed_in:
                assert sign_in(forgiving, EMAIL, PASSWORD).status_code == 303
            for method, path in every_request(boom, survey):
                response = forgiving.request(method, path, follow_redirects=False)
                assert_secure_headers(response)
                statuses.add(response.status_code)
        # Pages, redirects, refusals, a missing key, a forced 500: all of them were seen.
        assert {200, 303, 401, 403, 404, 500} <= statuses

    def test_a_forced_500_is_a_page_with_the_headers(self, forgiving: TestClient) -> None:
        response = forgiving.get("/boom")

        assert response.status_code == 500
        assert_secure_headers(response)
        assert "Something went wrong on our side" in response.text
        assert "a bug" not in response.text
        assert response.headers["cache-control"] == "no-store"

    def test_a_forced_500_under_the_api_is_json_with_the_headers(
        self, forgiving: TestClient, boom: FastAPI
    ) -> None:
        boom.add_api_route("/api/v1/boom", lambda: 1 / 0)

        response = forgiving.get("/api/v1/boom")

        assert response.status_code == 500
        assert response.json() == {
            "detail": "Something went wrong on our side. Please go back and try again in a moment."
        }
        assert_secure_headers(response)

    def test_unknown_paths_wrong_methods_and_static_files_have_them(
        self, client: TestClient
    ) -> None:
        for response in (
            client.get("/no/such/page"),
            client.delete("/console/login"),
            client.get("/static/site.css"),
            client.get("/static/no-such.css"),
            client.get("/healthz"),
        ):
            assert_secure_headers(response)

    def test_a_header_a_route_sets_itself_is_kept(
        self, client: TestClient, db: Session, round1: Round, panel: list[Panelist]
    ) -> None:
        response = client.get(f"/r/{token_for(db, round1, panel[0])}", follow_redirects=False)

        assert response.status_code == 303
        assert response.headers["cache-control"] == "no-store"
        assert_secure_headers(response)


class TestContentSecurityPolicy:
    def test_pages_need_no_inline_script_or_style(self) -> None:
        """The policy forbids them, so no served template may carry one."""
        offending = []
        for template in (ROOT / "app" / "templates").rglob("*.html"):
            if template.parent.name == "email":  # mail clients, not browsers under our CSP
                continue
            text = template.read_text(encoding="utf-8")
            if template.name == "final_report.html":
                # Its one <style> is written only into the file Chromium prints to PDF (offline,
                # with a CSP of its own); the served page links report.css instead.
                text = text.replace("<style>{{ inline_css | safe }}</style>", "")
            for pattern in (r"<style", r"\sstyle\s*=", r"<script(?![^>]*\bsrc=)", r"\son\w+\s*="):
                offending += [f"{template.name}: {m[0]}" for m in re.finditer(pattern, text)]
        assert offending == []

    def test_the_policy_of_pages_allows_nothing_inline(self, client: TestClient) -> None:
        policy = client.get("/console/login").headers["content-security-policy"]

        assert "'unsafe-inline'" not in policy
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy

    @pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
    def test_the_api_documentation_may_run_exactly_its_own_inline_scripts(
        self, client: TestClient, path: str
    ) -> None:
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        inline = re.findall(
            r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", response.text, flags=re.S
        )

        assert_secure_headers(response)
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
        hashes = [
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in inline
        ]
        assert script_src.split() == ["script-src", "'self'", *hashes]
        assert "'unsafe-inline'" not in script_src


class TestHosts:
    def test_links_and_redirects_ignore_the_host_header(
        self, client: TestClient, facilitator: object
    ) -> None:
        evil = {"Host": "evil.example"}
        page = client.get("/console/login", headers=evil)
        redirect = client.get("/console", headers=evil, follow_redirects=False)
        signed_in = sign_in(client)

        assert "evil.example" not in page.text
        assert 'href="/static/site.css"' in page.text
        assert redirect.headers["location"] == "/console/login?next=%2Fconsole"
        assert signed_in.headers["location"] == "/console"

    def test_production_refuses_an_unknown_host_with_400_and_the_headers(
        self, production: tuple[FastAPI, TestClient]
    ) -> None:
        _, client = production

        refused = client.get("/console/login", headers={"Host": "evil.example"})

        assert refused.status_code == 400
        assert_secure_headers(refused, hsts=True)
        assert client.get("/console/login").status_code == 200
        assert client.get("/healthz", headers={"Host": "delphi.internal"}).status_code == 200

    def test_production_sends_hsts_everywhere(
        self, production: tuple[FastAPI, TestClient], survey: Survey
    ) -> None:
        application, client = production

        for method, path in every_request(application, survey):
            assert_secure_headers(client.request(method, path, follow_redirects=False), hsts=True)

    def test_production_names_the_session_cookie_with_the_host_prefix(
        self, production: tuple[FastAPI, TestClient]
    ) -> None:
        _, client = production

        cookie = client.get("/console/login").headers["set-cookie"]

        assert cookie.startswith("__Host-delphi_session=")
        attributes = [a.strip().lower() for a in cookie.split(";")]
        assert "secure" in attributes
        assert "path=/" in attributes
        assert not any(a.startswith("domain") for a in attributes)


class TestProxies:
    @staticmethod
    def _logged_clients(caplog: pytest.LogCaptureFixture) -> list[str]:
        return [str(r.args[0]) for r in caplog.records if r.name == "app.access" and r.args]

    def test_forwarded_headers_from_anyone_are_ignored(
        self, client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="app.access"):
            client.get("/healthz", headers={"X-Forwarded-For": "192.0.2.77"})

        assert self._logged_clients(caplog) == ["testclient"]

    def test_forwarded_headers_from_a_trusted_proxy_are_believed(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        from app.config import get_settings
        from app.main import create_app

        monkeypatch.setenv("DELPHI_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
        get_settings.cache_clear()
        try:
            application = create_app()
        finally:
            get_settings.cache_clear()
        with (
            TestClient(application, client=("10.1.2.3", 4000)) as proxied,
            TestClient(application, client=("192.0.2.9", 4000)) as direct,
            caplog.at_level(logging.INFO, logger="app.access"),
        ):
            proxied.get("/healthz", headers={"X-Forwarded-For": "198.51.100.4"})
            direct.get("/healthz", headers={"X-Forwarded-For": "198.51.100.5"})

        assert self._logged_clients(caplog) == ["198.51.100.4", "192.0.2.9"]
