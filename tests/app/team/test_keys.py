"""API keys with a study scope and an expiry, from the console (owners) and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.api import keys
from app.cli import cli
from app.errors import Invalid
from app.mail import render
from app.models import ApiKey, Outbox, Role
from app.models.base import today, utcnow
from app.security import unseal
from app.team import service as team
from tests.app.conftest import STUDY_FILE
from tests.app.console.conftest import csrf_from

KEY_SHOWN = re.compile(r"data-new-key>(dk_[^<]+)<")


def bearer(full: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {full}"}


@pytest.fixture
def owner(survey, account):  # type: ignore[no-untyped-def]
    return account("olivia", survey, Role.OWNER)


@pytest.fixture
def keys_url(survey) -> str:
    return f"/console/studies/{survey.key}/keys"


class TestConsoleKeys:
    def test_an_owner_creates_a_key_that_reads_this_study_only(
        self, client, db, survey, other_survey, owner, as_account, keys_url
    ) -> None:
        browser = as_account(owner)
        token = csrf_from(browser.get(keys_url).text)
        page = browser.post(
            keys_url, data={"csrf_token": token, "name": "notebook", "expires": "2099-12-31"}
        )

        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        full = KEY_SHOWN.search(page.text)[1]
        row = db.scalar(select(ApiKey).where(ApiKey.name == "notebook"))
        assert row.survey_id == survey.id
        assert row.created_by == owner.email
        assert full not in browser.get(keys_url).text  # shown once only
        client.cookies.clear()
        listed = client.get("/api/v1/studies", headers=bearer(full)).json()
        assert [s["key"] for s in listed] == [survey.key]
        assert (
            client.get(f"/api/v1/studies/{survey.key}/rounds", headers=bearer(full)).status_code
            == 200
        )
        other = client.get("/api/v1/studies/other-study/rounds", headers=bearer(full))
        assert other.status_code == 404
        assert other.json()["detail"] == "no study with key 'other-study'"

    def test_revoking_refuses_the_key_at_once(
        self, client, db, survey, owner, as_account, keys_url
    ) -> None:
        full = keys.create(db, name="soon gone", survey=survey)
        assert client.get("/api/v1/studies", headers=bearer(full)).status_code == 200
        row = keys.authenticate(db, full)
        browser = as_account(owner)
        token = csrf_from(browser.get(keys_url).text)

        revoked = browser.post(
            f"{keys_url}/{row.prefix}/revoke", data={"csrf_token": token}, follow_redirects=False
        )

        assert revoked.status_code == 303
        client.cookies.clear()
        assert client.get("/api/v1/studies", headers=bearer(full)).status_code == 401
        assert "revoked" in as_account(owner).get(keys_url).text

    def test_an_expiry_in_the_past_is_refused_and_nothing_is_created(
        self, db, owner, as_account, keys_url
    ) -> None:
        browser = as_account(owner)
        token = csrf_from(browser.get(keys_url).text)
        page = browser.post(
            keys_url, data={"csrf_token": token, "name": "late", "expires": "2020-01-01"}
        )

        assert page.status_code == 422
        assert "expires: 2020-01-01 23:59 UTC has already passed" in page.text
        assert db.scalar(select(ApiKey).where(ApiKey.name == "late")) is None
        assert 'value="late"' in page.text

    def test_another_studys_key_cannot_be_revoked_from_here(
        self, db, survey, other_survey, owner, as_account, keys_url
    ) -> None:
        full = keys.create(db, name="theirs", survey=other_survey)
        row = keys.authenticate(db, full)
        browser = as_account(owner)
        token = csrf_from(browser.get(keys_url).text)

        page = browser.post(f"{keys_url}/{row.prefix}/revoke", data={"csrf_token": token})

        assert page.status_code == 404
        assert keys.authenticate(db, full) is not None

    def test_the_last_use_is_shown_by_day(self, client, db, survey, owner, as_account, keys_url):
        full = keys.create(db, name="used", survey=survey)
        assert "never" in as_account(owner).get(keys_url).text.split('data-key="')[1]
        client.cookies.clear()
        client.get("/api/v1/studies", headers=bearer(full))

        db.expire_all()
        assert keys.authenticate(db, full).last_used_on == today()
        assert today().isoformat() in as_account(owner).get(keys_url).text


class TestExpiry:
    def test_an_expired_key_gets_401(self, client, db) -> None:
        full = keys.create(db, name="short-lived", expires_at=utcnow() + dt.timedelta(hours=1))
        assert client.get("/api/v1/studies", headers=bearer(full)).status_code == 200
        row = db.scalar(select(ApiKey).where(ApiKey.name == "short-lived"))
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.flush()

        response = client.get("/api/v1/studies", headers=bearer(full))

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_the_service_refuses_an_expiry_in_the_past(self, db) -> None:
        with pytest.raises(Invalid, match="has already passed"):
            keys.create(db, name="x", expires_at=utcnow() - dt.timedelta(minutes=1))

    def test_an_unreadable_expiry_names_the_field(self) -> None:
        with pytest.raises(Invalid, match="^expires: 'next week' is not a date"):
            keys.parse_expiry("next week")


class TestTeamMail:
    @pytest.mark.parametrize("existing", [False, True])
    def test_the_invitation_renders(self, db, survey, owner, account, existing) -> None:
        if existing:
            account("nina")
        team.invite(db, survey, email="nina@example.org", name="Nina", role="observer", by=owner)
        row = db.scalar(select(Outbox).order_by(Outbox.id.desc()))

        composed = render.compose(
            row, link=unseal(row.secret) if row.secret else None, sender="d@example.org"
        )

        message = BytesParser(policy=policy.default).parsebytes(composed.raw)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",)).get_content()
        assert "olivia has" in body
        assert ("/console/password?token=" in body) is not existing


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


class TestCli:
    def test_create_list_revoke(self, live_database: str, tmp_path: Path) -> None:
        assert run("db", "upgrade")[0] == 0
        assert run("survey", "import", str(STUDY_FILE))[0] == 0
        code, out = run(
            "apikey",
            "create",
            "team notebook",
            "--study",
            "crime-prevention-2027",
            "--expires",
            "2099-01-01",
        )
        assert code == 0, out
        full = out.strip().splitlines()[-1]
        prefix = keys.api_key_prefix(full)

        code, out = run("apikey", "list")
        assert f"dk_{prefix}\tteam notebook\tcrime-prevention-2027\tactive" in out
        assert "expires 2099-01-01 23:59 UTC\tlast used never" in out
        assert full not in out

        assert run("apikey", "revoke", f"dk_{prefix}")[0] == 0
        assert (
            f"dk_{prefix}\tteam notebook\tcrime-prevention-2027\trevoked"
            in run("apikey", "list")[1]
        )
        code, out = run("apikey", "revoke", f"dk_{prefix}")
        assert code == 2
        assert "already revoked" in out

    def test_bad_input_exits_2_and_creates_nothing(self, live_database: str) -> None:
        run("db", "upgrade")
        code, out = run("apikey", "create", "x", "--expires", "2001-01-01")
        assert code == 2
        assert "expires: 2001-01-01 23:59 UTC has already passed" in out
        code, out = run("apikey", "create", "x", "--study", "no-such-study")
        assert code == 2
        assert "no study with key 'no-such-study'" in out
        assert run("apikey", "list")[1] == ""

    def test_team_add_and_list(self, live_database: str) -> None:
        run("db", "upgrade")
        run("survey", "import", str(STUDY_FILE))
        run("facilitator", "create", "lea@example.org", "--name", "Lea", "--password", "x" * 12)

        code, out = run("team", "add", "crime-prevention-2027", "lea@example.org", "--role", "boss")
        assert code == 2
        assert "'boss' is not a role" in out
        assert run("team", "add", "crime-prevention-2027", "lea@example.org")[0] == 0
        assert run("team", "list", "crime-prevention-2027")[1] == "lea@example.org\towner\n"
        code, out = run("team", "add", "crime-prevention-2027", "lea@example.org")
        assert code == 2
        assert "already on the team" in out
