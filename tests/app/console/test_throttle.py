"""Sign-in throttling: locked per address and account, slowed per account, reset on success."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditLog, Facilitator

from .conftest import EMAIL, PASSWORD, csrf_from, sign_in

WRONG = "not the password at all"
LOCKED = "Too many failed sign-ins for this account; try again in"
SLOWED = "This account has had many failed sign-ins lately"


def _fail(client: TestClient, email: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, email, WRONG).status_code == 401


def _failures(db: Session, email: str) -> list[AuditLog]:
    failed = select(AuditLog).where(AuditLog.action == "login.failed", AuditLog.actor == email)
    return list(db.scalars(failed))


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lowest cost: these tests make hundreds of tries, and the throttle's
    behaviour does not depend on how slow one check is."""
    from argon2 import PasswordHasher

    from app import security

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("not-a-real-password"))


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Real time that a test can move forward (the counters read the same clock)."""
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def elsewhere(app: FastAPI) -> Iterator[TestClient]:
    """A browser at another address, on the same application."""
    with TestClient(app, client=("198.51.100.23", 50000)) as other:
        yield other


def _errors(html: str) -> str:
    start = html.index('class="error-summary"')
    return html[start : html.index("</div>", start)]


class TestFailedSignInsAreRecorded:
    def test_each_failure_is_an_audit_row_with_the_normalised_email_and_no_password(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        sign_in(client, "  Fran@EXAMPLE.org ", WRONG)

        (row,) = _failures(db, EMAIL)
        assert row.survey_id is None
        assert row.facilitator_id is None
        assert WRONG not in str(row.detail)

    def test_a_successful_sign_in_is_not_a_failure(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        assert sign_in(client).status_code == 303

        assert _failures(db, EMAIL) == []


class TestLockPerAddressAndAccount:
    def test_the_sixth_try_within_fifteen_minutes_is_refused_even_with_the_password(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        _fail(client, EMAIL, 5)

        response = sign_in(client, EMAIL, PASSWORD)

        assert response.status_code == 429
        assert f"{LOCKED} 15 minutes." in response.text
        assert 890 <= int(response.headers["retry-after"]) <= 900
        assert client.get("/console", follow_redirects=False).status_code == 303
        assert len(_failures(db, EMAIL)) == 5  # a refused try is not even checked

    def test_the_refusal_is_in_the_language_of_the_console(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 5)
        client.headers["Accept-Language"] = "fr"

        response = sign_in(client, EMAIL, PASSWORD)

        assert response.status_code == 429
        assert (
            "Trop d’échecs de connexion pour ce compte\u202f; réessayez dans 15 minutes."
            in _errors(response.text)
        )

    def test_four_failures_still_let_the_right_password_in(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 4)

        assert sign_in(client).status_code == 303

    def test_a_successful_sign_in_forgets_the_failures_before_it(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 4)
        assert sign_in(client).status_code == 303

        _fail(client, EMAIL, 4)
        assert sign_in(client).status_code == 303

    def test_spellings_of_one_address_count_together(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        for spelling in ("FRAN@example.org", " fran@Example.Org", "fran@EXAMPLE.ORG "):
            _fail(client, spelling, 1)
        _fail(client, EMAIL, 2)

        assert sign_in(client, "Fran@Example.org", PASSWORD).status_code == 429

    def test_another_account_is_not_affected(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, "someone-else@example.org", 5)

        assert sign_in(client).status_code == 303

    def test_the_lock_holds_one_address_only(
        self, client: TestClient, elsewhere: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 5)
        assert sign_in(client).status_code == 429

        assert sign_in(elsewhere).status_code == 303

    def test_unknown_emails_are_throttled_exactly_alike(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        known, unknown = [], []
        for email, seen in ((EMAIL, known), ("nobody@example.org", unknown)):
            for _ in range(6):
                response = sign_in(client, email, WRONG)
                seen.append((response.status_code, _errors(response.text)))
            assert "retry-after" in response.headers

        assert known == unknown
        assert [status for status, _ in unknown] == [401] * 5 + [429]
        assert len(_failures(db, "nobody@example.org")) == 5

    def test_failures_older_than_fifteen_minutes_no_longer_count(
        self, client: TestClient, facilitator: Facilitator, clock: time_machine.Traveller
    ) -> None:
        _fail(client, EMAIL, 5)
        clock.shift(dt.timedelta(minutes=15, seconds=1))

        assert sign_in(client).status_code == 303

    def test_knocking_on_the_lock_does_not_extend_it(
        self, client: TestClient, facilitator: Facilitator, clock: time_machine.Traveller
    ) -> None:
        _fail(client, EMAIL, 5)
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=4))
            assert sign_in(client, EMAIL, WRONG).status_code == 429
        clock.shift(dt.timedelta(minutes=3, seconds=1))

        assert sign_in(client).status_code == 303

    def test_the_wait_counts_down_to_when_the_oldest_failure_expires(
        self, client: TestClient, facilitator: Facilitator, clock: time_machine.Traveller
    ) -> None:
        _fail(client, EMAIL, 1)
        clock.shift(dt.timedelta(minutes=11, seconds=30))
        _fail(client, EMAIL, 4)

        response = sign_in(client, EMAIL, WRONG)

        assert response.status_code == 429
        assert f"{LOCKED} 4 minutes." in response.text

    def test_a_throttled_page_keeps_the_form(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 5)

        response = sign_in(client, EMAIL, WRONG)

        assert csrf_from(response.text)
        assert f'value="{EMAIL}"' in response.text


class TestSlowDownPerAccount:
    """Guesses from many addresses slow the account down; they never lock its owner out."""

    @pytest.fixture
    def attacked(self, app: FastAPI, facilitator: Facilitator) -> None:
        """20 failures from 5 addresses: the account is slowed down."""
        for n in range(5):
            with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as attacker:
                _fail(attacker, EMAIL, 4)

    def test_the_owner_gets_in_from_their_own_address(
        self, attacked: None, client: TestClient
    ) -> None:
        assert sign_in(client).status_code == 303

    def test_each_address_gets_one_try_a_minute(
        self, attacked: None, client: TestClient, clock: time_machine.Traveller
    ) -> None:
        assert sign_in(client, EMAIL, WRONG).status_code == 401

        refused = sign_in(client)
        assert refused.status_code == 429
        assert SLOWED in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60

        clock.shift(dt.timedelta(seconds=61))
        assert sign_in(client).status_code == 303

    def test_the_owners_sign_in_ends_the_slow_down(
        self, attacked: None, client: TestClient, elsewhere: TestClient
    ) -> None:
        assert sign_in(client).status_code == 303

        _fail(elsewhere, EMAIL, 2)  # two tries in a row: no longer one a minute

    def test_an_attacker_who_keeps_going_never_locks_the_owner_out(
        self,
        app: FastAPI,
        facilitator: Facilitator,
        client: TestClient,
        clock: time_machine.Traveller,
    ) -> None:
        for minute in range(30):  # a fresh address each minute, trying all it can
            with TestClient(app, client=(f"192.0.2.{minute + 1}", 40000)) as attacker:
                for _ in range(5):
                    sign_in(attacker, EMAIL, WRONG)
            clock.shift(dt.timedelta(minutes=1))

            assert sign_in(client).status_code == 303
            client.cookies.clear()


class TestLimitPerAddress:
    def test_one_address_gets_thirty_tries_in_fifteen_minutes_at_any_accounts(
        self, client: TestClient
    ) -> None:
        for n in range(30):
            assert sign_in(client, f"user{n}@example.org", WRONG).status_code == 401

        refused = sign_in(client, "user30@example.org", WRONG)

        assert refused.status_code == 429
        assert "Too many sign-in attempts from your address" in refused.text


class TestStorageDown:
    def test_sign_in_is_refused_with_503_not_500(
        self, monkeypatch: pytest.MonkeyPatch, db: Session, facilitator: Facilitator
    ) -> None:
        from app.config import get_settings
        from app.main import create_app
        from app.web.sessions import get_session

        monkeypatch.setenv("DELPHI_RATE_LIMIT_STORAGE", "redis://127.0.0.1:1")  # nothing there
        get_settings.cache_clear()
        try:
            application = create_app()
        finally:
            get_settings.cache_clear()
        application.dependency_overrides[get_session] = lambda: db

        with TestClient(application) as down:
            response = sign_in(down)

        assert response.status_code == 503
        assert "Signing in is not possible for a moment" in response.text
        assert response.headers["retry-after"] == "30"


class TestThrottleUnderConcurrency:
    def test_a_burst_of_parallel_guesses_gets_five_tries_in_all(self, live_database: str) -> None:
        """Real threads against a committed database: the count holds under a burst."""
        from app.console import accounts
        from app.db import unit_of_work
        from app.main import create_app

        attempts = 12
        with unit_of_work() as session:
            accounts.create(session, email=EMAIL, name="Fran", password=PASSWORD)
        app = create_app()
        clients = [TestClient(app) for _ in range(attempts)]
        tokens = [csrf_from(c.get("/console/login").text) for c in clients]
        start = threading.Barrier(attempts, timeout=30)

        def guess(i: int) -> int:
            start.wait()
            response = clients[i].post(
                "/console/login",
                data={"email": EMAIL, "password": WRONG, "csrf_token": tokens[i]},
                follow_redirects=False,
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=attempts) as pool:
            futures = [pool.submit(guess, i) for i in range(attempts)]
            statuses = sorted(f.result(timeout=60) for f in futures)

        assert statuses == [401] * 5 + [429] * (attempts - 5)
        with unit_of_work() as session:
            recorded = session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "login.failed", AuditLog.actor == EMAIL)
            )
        assert recorded == 5
