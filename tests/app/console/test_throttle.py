"""Failed sign-ins are counted per email in the database and throttled after five."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditLog, Facilitator
from app.models.base import utcnow

from .conftest import EMAIL, PASSWORD, csrf_from, sign_in

WRONG = "not the password at all"
THROTTLED = "Too many failed sign-ins for this account; try again in"


def _fail(client: TestClient, email: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, email, WRONG).status_code == 401


def _failures(db: Session, email: str) -> list[AuditLog]:
    failed = select(AuditLog).where(AuditLog.action == "login.failed", AuditLog.actor == email)
    return list(db.scalars(failed))


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


class TestThrottle:
    def test_the_sixth_attempt_within_fifteen_minutes_is_refused_even_with_the_password(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        _fail(client, EMAIL, 5)

        response = sign_in(client, EMAIL, PASSWORD)

        assert response.status_code == 429
        assert f"{THROTTLED} 15 minutes." in response.text
        assert 890 <= int(response.headers["retry-after"]) <= 900
        assert client.get("/console", follow_redirects=False).status_code == 303
        assert len(_failures(db, EMAIL)) == 5  # refused attempts do not extend the lock

    def test_four_failures_still_let_the_right_password_in(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
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
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        _fail(client, EMAIL, 5)
        for row in _failures(db, EMAIL)[:2]:
            row.at = utcnow() - dt.timedelta(minutes=15, seconds=1)
        db.flush()

        assert sign_in(client).status_code == 303

    def test_the_wait_counts_down_to_when_the_oldest_failure_expires(
        self, client: TestClient, facilitator: Facilitator, db: Session
    ) -> None:
        _fail(client, EMAIL, 5)
        oldest = min(_failures(db, EMAIL), key=lambda row: row.id)
        oldest.at = utcnow() - dt.timedelta(minutes=11, seconds=30)
        db.flush()

        response = sign_in(client, EMAIL, WRONG)

        assert response.status_code == 429
        assert f"{THROTTLED} 4 minutes." in response.text

    def test_a_throttled_page_keeps_the_form(
        self, client: TestClient, facilitator: Facilitator
    ) -> None:
        _fail(client, EMAIL, 5)

        response = sign_in(client, EMAIL, WRONG)

        assert csrf_from(response.text)
        assert f'value="{EMAIL}"' in response.text


def _errors(html: str) -> str:
    start = html.index('class="error-summary"')
    return html[start : html.index("</div>", start)]


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
