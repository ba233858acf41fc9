"""Rate limits on link guesses and sign-in, in memory and shared through Redis."""

from __future__ import annotations

import os
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Panelist, Round
from app.web import link_guesses
from tests.app.console.conftest import EMAIL, PASSWORD, sign_in
from tests.app.participation.conftest import token_for

GUESSES = 2_000
REDIS_URL = "redis://127.0.0.1:6379"
WRONG = "not the password at all"


def guess() -> str:
    """A link as a guesser would make it: the right shape, 256 random bits."""
    return "/r/" + secrets.token_urlsafe(32)


def _seen(response: httpx.Response) -> tuple[int, bytes, str, str]:
    return (
        response.status_code,
        response.content,
        response.headers.get("content-type", ""),
        response.headers.get("set-cookie", ""),
    )


def assert_guesses_refused(client: TestClient) -> None:
    """2,000 random guesses from one address: identical 404s, then only 429s."""
    statuses = []
    not_found = set()
    for _ in range(GUESSES):
        response = client.get(guess(), follow_redirects=False)
        statuses.append(response.status_code)
        if response.status_code == 404:
            not_found.add(_seen(response))
        else:
            assert response.status_code == 429
            assert 1 <= int(response.headers["retry-after"]) <= 3600
            assert response.headers["cache-control"] == "no-store"
    refused_from = statuses.index(429)
    assert set(statuses[:refused_from]) == {404}
    assert set(statuses[refused_from:]) == {429}
    assert refused_from == link_guesses.FAILURES[0].amount  # well before 1,000 a minute
    assert len(not_found) == 1  # every failure looks the same


class TestLinkGuesses:
    def test_random_guesses_from_one_address_get_identical_404s_then_429(
        self, client: TestClient
    ) -> None:
        assert_guesses_refused(client)

    def test_the_refusal_says_why_in_every_language(self, client: TestClient) -> None:
        for _ in range(link_guesses.FAILURES[0].amount):
            client.get(guess())

        page = client.get(guess()).text

        assert "Too many attempts" in page
        assert "Trop de tentatives" in page
        assert "Demasiados intentos" in page

    def test_every_spelling_of_the_link_path_counts(self, client: TestClient) -> None:
        spellings = ["/R/", "/r/%2F", "/r//", "/r%2F", "/r/a/"]
        for n in range(link_guesses.FAILURES[0].amount):
            token = secrets.token_urlsafe(32)
            assert client.get(spellings[n % len(spellings)] + token).status_code == 404

        assert client.get("/R/" + secrets.token_urlsafe(32)).status_code == 429

    def test_a_real_link_still_works_for_its_owner(
        self,
        app: FastAPI,
        client: TestClient,
        db: Session,
        round1: Round,
        panel: list[Panelist],
    ) -> None:
        # Their own address: failures just short of the limit, then the real link.
        for _ in range(link_guesses.FAILURES[0].amount - 1):
            client.get(guess())
        assert client.get(f"/r/{token_for(db, round1, panel[0])}").status_code == 200
        # A working link counts as no failure: opening it again and again is fine.
        token = token_for(db, round1, panel[1])
        for _ in range(10):
            assert client.get(f"/r/{token}", follow_redirects=False).status_code == 303

        # A guesser elsewhere, refused, changes nothing for the owner.
        with TestClient(app, client=("203.0.113.50", 1234)) as guesser:
            assert_guesses_refused(guesser)
        owner = f"/r/{token_for(db, round1, panel[2])}"
        assert client.get(owner, follow_redirects=False).status_code == 303

    def test_other_pages_are_not_limited(self, client: TestClient) -> None:
        for _ in range(link_guesses.FAILURES[0].amount + 5):
            assert client.get("/no/such/page").status_code == 404

        assert client.get("/console/login").status_code == 200


class TestStorageDown:
    def test_links_answer_503_with_retry_after_not_500(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.config import get_settings
        from app.main import create_app

        monkeypatch.setenv("DELPHI_RATE_LIMIT_STORAGE", "redis://127.0.0.1:1")  # nothing there
        get_settings.cache_clear()
        try:
            application = create_app()
        finally:
            get_settings.cache_clear()

        with TestClient(application) as client:
            response = client.get(guess())

        assert response.status_code == 503
        assert response.headers["retry-after"] == str(link_guesses.STORAGE_DOWN_RETRY)
        assert "Please wait a moment" in response.text


class TestParallelGuesses:
    def test_a_burst_gets_past_the_count_by_at_most_the_places_being_served(
        self, live_database: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """200 guesses at once, all sent before any has been answered."""
        from app.config import get_settings
        from app.main import create_app

        burst, places = 200, 5
        monkeypatch.setenv("DELPHI_MAX_CONCURRENCY", str(places))
        monkeypatch.setenv("DELPHI_ADMISSION_TIMEOUT", "60")  # queue, never 503, here
        get_settings.cache_clear()
        application = create_app()
        statuses: Counter[int] = Counter()

        async def one(client: httpx.AsyncClient) -> None:
            statuses[(await client.get(guess())).status_code] += 1

        async def run() -> None:
            transport = httpx.ASGITransport(app=application)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
                anyio.create_task_group() as group,
            ):
                for _ in range(burst):
                    group.start_soon(one, client)

        anyio.run(run)

        limit = link_guesses.FAILURES[0].amount
        assert set(statuses) == {404, 429}
        # Each guess let through saw every earlier one counted but those still in flight.
        assert limit <= statuses[404] <= limit + places - 1
        assert statuses[404] + statuses[429] == burst


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch, db: Session) -> Iterator[Callable[[], FastAPI]]:
    """Build applications the way separate worker processes would, counting in Redis.

    A secret of this test's own keys every counter, so no earlier run's counts meet it.
    """
    from app.config import get_settings
    from app.main import create_app
    from app.web.sessions import get_session

    _redis_or_skip()
    monkeypatch.setenv("DELPHI_RATE_LIMIT_STORAGE", REDIS_URL)
    monkeypatch.setenv("DELPHI_SECRET_KEY", f"redis-test-secret-{uuid.uuid4().hex}")

    def build() -> FastAPI:
        get_settings.cache_clear()
        application = create_app()
        application.dependency_overrides[get_session] = lambda: db
        return application

    yield build
    get_settings.cache_clear()


class TestSharedThroughRedis:
    def test_random_guesses_get_identical_404s_then_429(
        self, worker: Callable[[], FastAPI]
    ) -> None:
        with TestClient(worker()) as client:
            assert_guesses_refused(client)

    def test_two_workers_count_link_guesses_together(self, worker: Callable[[], FastAPI]) -> None:
        limit = link_guesses.FAILURES[0].amount
        with TestClient(worker()) as first, TestClient(worker()) as second:
            for n in range(limit):
                assert (first if n % 2 else second).get(guess()).status_code == 404

            assert first.get(guess()).status_code == 429
            assert second.get(guess()).status_code == 429

    def test_two_workers_count_sign_ins_together_and_reset_on_success(
        self, worker: Callable[[], FastAPI], facilitator: object
    ) -> None:
        with TestClient(worker()) as first, TestClient(worker()) as second:
            for n in range(4):
                assert sign_in(first if n % 2 else second, EMAIL, WRONG).status_code == 401
            assert sign_in(second).status_code == 303  # resets the count, in Redis
            for n in range(5):
                assert sign_in(first if n % 2 else second, EMAIL, WRONG).status_code == 401

            assert sign_in(first, EMAIL, PASSWORD).status_code == 429
            assert sign_in(second, EMAIL, PASSWORD).status_code == 429
