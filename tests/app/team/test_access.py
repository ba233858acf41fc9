"""Role checks on every console route, found by walking the app's routes.

A route added later is walked too: an observer gets 403 on each state-changing route,
an account of another study 404 on each route of this one, a visitor the sign-in page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.console import auth
from app.models import Role

PUBLIC = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("GET", "/console/password"),
    ("POST", "/console/password"),
    ("GET", "/console/forgot"),
    ("POST", "/console/forgot"),
}
OWNER_ONLY_NAMES = {
    "console_team_invite",
    "console_team_role",
    "console_team_remove",
    "console_keys",
    "console_key_create",
    "console_key_revoke",
}


def console_routes(app: FastAPI) -> Iterator[tuple[str, str, str, object]]:
    """(method, path template, name, route) for every console route and method."""
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        if not path or not (path == "/console" or path.startswith("/console/")):
            continue
        for method in sorted(context.methods or {"GET"}):
            yield method, path, context.name or "", context.original_route


def concrete(path: str, key: str) -> str:
    # Any other path value (an id, a number, a prefix) is "1".
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: key if m[1] == "key" else "1", path)


def study_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    found = [(m, p, n) for m, p, n, _ in console_routes(app) if "{key}" in p]
    assert len(found) > 40, "the study routes of the console were found"
    return found


class TestEveryConsoleRoute:
    def test_each_is_a_guarded_console_route(self, app: FastAPI) -> None:
        for method, path, name, route in console_routes(app):
            assert isinstance(route, auth.ConsoleRoute), f"{method} {path} is no ConsoleRoute"
            guards = [d.dependency for d in route.dependencies if d.dependency in auth.GUARDS]
            assert len(guards) == 1, f"{method} {path}: {guards}"
            if (method, path) in PUBLIC:
                assert guards == [auth.public], f"{method} {path} should be public"
            elif name in OWNER_ONLY_NAMES:
                assert guards == [auth.owner_only], f"{method} {path} should be owner-only"
            else:
                assert guards == [auth.by_method], f"{method} {path}"

    def test_a_visitor_is_sent_to_sign_in_everywhere_but_the_public_pages(
        self, client, survey
    ) -> None:
        for method, path, _name, _route in console_routes(client.app):
            if (method, path) in PUBLIC:
                continue
            response = client.request(method, concrete(path, survey.key), follow_redirects=False)
            assert response.status_code == 303, f"{method} {path}"
            assert response.headers["location"].startswith("/console/login")

    def test_an_observer_reads_but_changes_nothing(
        self, client, survey, account, as_account
    ) -> None:
        browser = as_account(account("olga", survey, Role.OBSERVER))
        for method, path, name in study_routes(client.app):
            response = browser.request(method, concrete(path, survey.key), follow_redirects=False)
            where = f"{method} {path}"
            if name in OWNER_ONLY_NAMES:
                assert response.status_code == 403, where
                assert "needs the owner role" in response.text, where
            elif method == "GET":
                assert response.status_code != 403, where
            else:
                assert response.status_code == 403, where
                assert "needs the facilitator role" in response.text, where

    def test_a_facilitator_is_refused_the_owner_routes_only(
        self, client, survey, account, as_account
    ) -> None:
        browser = as_account(account("fabio", survey, Role.FACILITATOR))
        for method, path, name in study_routes(client.app):
            response = browser.request(method, concrete(path, survey.key), follow_redirects=False)
            needs_owner = "needs the owner role" in response.text
            assert needs_owner == (name in OWNER_ONLY_NAMES), f"{method} {path}"

    @pytest.mark.parametrize("role", [Role.OWNER, Role.OBSERVER])
    def test_an_account_of_another_study_finds_nothing_here(
        self, client, survey, other_survey, account, as_account, role
    ) -> None:
        browser = as_account(account("otto", other_survey, role))
        for method, path, _name in study_routes(client.app):
            response = browser.request(method, concrete(path, survey.key), follow_redirects=False)
            assert response.status_code == 404, f"{method} {path}"
            assert f"no study with key &#39;{survey.key}&#39;" in response.text

    def test_the_study_list_shows_only_the_accounts_studies(
        self, client, survey, other_survey, account, as_account
    ) -> None:
        browser = as_account(account("otto", other_survey, Role.FACILITATOR))
        page = browser.get("/console").text

        assert "/console/studies/other-study" in page
        assert f"/console/studies/{survey.key}" not in page


class TestOwnerOnlyNeedsAStudy:
    def test_an_owner_only_route_without_a_study_is_refused_when_defined(self) -> None:
        def endpoint() -> None:
            """A route no study can own."""

        with pytest.raises(TypeError, match="needs the study"):
            auth.ConsoleRoute("/console/everything", endpoint, dependencies=[auth.OwnerOnly])
