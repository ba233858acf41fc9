"""The team page and service: invitations, roles, the last owner, passwords, the audit page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.console import accounts
from app.errors import Conflict, Invalid
from app.models import AccountToken, Facilitator, Membership, Outbox, Role
from app.security import unseal
from app.team import passwords
from app.team import service as team
from app.team.account_pages import SENT
from tests.app.console.conftest import PASSWORD, csrf_from

NEW_PASSWORD = "a brand new pass phrase"


def post(browser, page: str, action: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(browser.get(page).text)
    return browser.post(action, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def last_mail(db, template: str) -> Outbox:
    row = db.scalar(select(Outbox).where(Outbox.template == template).order_by(Outbox.id.desc()))
    assert row is not None, f"no {template} mail queued"
    return row


def link_path(row: Outbox) -> str:
    parts = urlsplit(unseal(row.secret))
    return f"{parts.path}?{parts.query}"


def memberships(db) -> int:
    return db.scalar(select(func.count()).select_from(Membership))


@pytest.fixture
def owner(survey, account):  # type: ignore[no-untyped-def]
    return account("olivia", survey, Role.OWNER)


@pytest.fixture
def team_url(survey) -> str:
    return f"/console/studies/{survey.key}/team"


class TestInvite:
    def test_a_new_colleague_gets_an_account_and_a_link_by_mail(
        self, db, survey, owner, as_account, team_url
    ) -> None:
        browser = as_account(owner)
        response = post(
            browser,
            team_url,
            team_url,
            {"email": "Nina@Example.org", "name": "Nina", "role": "observer"},
        )

        assert response.status_code == 303
        nina = accounts.get_by_email(db, "nina@example.org")
        assert nina is not None
        assert nina.password_hash is None
        assert team.role_of(db, survey.id, nina) == Role.OBSERVER
        mail = last_mail(db, "team_invitation")
        assert mail.to_address == "nina@example.org"
        assert "token=" not in str(mail.context)  # the link is sealed, not in clear
        assert "/console/password?token=" in unseal(mail.secret)
        page = browser.get(team_url).text
        assert "nina@example.org" in page
        assert "invited, no password yet" in page

    def test_an_existing_account_is_told_without_a_link(
        self, db, survey, owner, account, as_account, team_url
    ) -> None:
        account("sam")
        post(as_account(owner), team_url, team_url, {"email": "sam@example.org", "role": "owner"})

        mail = last_mail(db, "team_added")
        assert mail.secret is None
        assert team.role_of(db, survey.id, accounts.get_by_email(db, "sam@example.org")) == (
            Role.OWNER
        )

    def test_an_email_already_on_the_team_is_refused_and_nothing_changes(
        self, db, survey, owner, account, as_account, team_url
    ) -> None:
        account("fabio", survey, Role.FACILITATOR)
        before = memberships(db), db.scalar(select(func.count()).select_from(Outbox))

        response = post(
            as_account(owner), team_url, team_url, {"email": "FABIO@example.org", "role": "owner"}
        )

        assert response.status_code == 409
        assert "fabio@example.org is already on the team of this study" in response.text
        assert (memberships(db), db.scalar(select(func.count()).select_from(Outbox))) == before
        assert team.role_of(db, survey.id, accounts.get_by_email(db, "fabio@example.org")) == (
            Role.FACILITATOR
        )

    def test_a_role_that_does_not_exist_is_refused_and_nothing_changes(
        self, db, owner, as_account, team_url
    ) -> None:
        before = db.scalar(select(func.count()).select_from(Facilitator))

        response = post(
            as_account(owner), team_url, team_url, {"email": "new@example.org", "role": "admin"}
        )

        assert response.status_code == 422
        assert "&#39;admin&#39; is not a role; choose one of owner, facilitator, observer" in (
            response.text
        )
        assert db.scalar(select(func.count()).select_from(Facilitator)) == before
        assert 'value="new@example.org"' in response.text  # the form keeps what was typed


class TestRoles:
    def test_an_owner_changes_a_role(self, db, survey, owner, account, as_account, team_url):
        fabio = account("fabio", survey, Role.FACILITATOR)
        member = team.members(db, survey)
        mid = next(m.membership.id for m in member if m.facilitator.id == fabio.id)

        response = post(as_account(owner), team_url, f"{team_url}/{mid}/role", {"role": "observer"})

        assert response.status_code == 303
        assert team.role_of(db, survey.id, fabio) == Role.OBSERVER

    def test_the_last_owner_cannot_step_down_or_be_removed(
        self, db, survey, owner, as_account, team_url
    ) -> None:
        mid = team.members(db, survey)[0].membership.id
        browser = as_account(owner)

        demoted = post(browser, team_url, f"{team_url}/{mid}/role", {"role": "facilitator"})
        removed = post(browser, team_url, f"{team_url}/{mid}/remove")

        for response in (demoted, removed):
            assert response.status_code == 409
            assert "olivia@example.org is the study&#39;s last owner" in response.text
        assert team.role_of(db, survey.id, owner) == Role.OWNER

    def test_the_refusal_is_in_the_language_of_the_console(
        self, db, survey, owner, as_account, team_url
    ) -> None:
        mid = team.members(db, survey)[0].membership.id
        browser = as_account(owner)
        browser.headers["Accept-Language"] = "fr"

        removed = post(browser, team_url, f"{team_url}/{mid}/remove")

        assert removed.status_code == 409
        assert (
            "olivia@example.org est le dernier propriétaire de l’étude\xa0: nommez d’abord "
            "quelqu’un d’autre propriétaire"
        ) in removed.text
        assert "last owner" not in removed.text

    def test_a_role_named_in_a_refusal_is_translated_with_it(
        self, db, survey, account, as_account, team_url
    ) -> None:
        browser = as_account(account("oscar", survey, Role.OBSERVER))
        browser.headers["Accept-Language"] = "fr"

        refused = browser.get(f"{team_url.rsplit('/', 1)[0]}/keys")

        assert refused.status_code == 403
        assert "Votre rôle dans cette étude est «\xa0observateur\xa0»" in refused.text

    def test_one_of_two_owners_can_leave(self, db, survey, owner, account) -> None:
        account("sam", survey, Role.OWNER)
        member = next(m for m in team.members(db, survey) if m.facilitator.id == owner.id)

        team.remove(db, survey, member, actor="test")

        assert team.role_of(db, survey.id, owner) is None

    def test_removing_a_member_takes_the_study_away_from_them(
        self, db, survey, owner, account, as_account, team_url
    ) -> None:
        fabio = account("fabio", survey, Role.FACILITATOR)
        mid = next(
            m.membership.id for m in team.members(db, survey) if m.facilitator.id == fabio.id
        )
        post(as_account(owner), team_url, f"{team_url}/{mid}/remove")

        assert as_account(fabio).get(f"/console/studies/{survey.key}").status_code == 404

    def test_a_service_call_with_an_unknown_role_raises(self, db, survey, owner) -> None:
        member = team.members(db, survey)[0]
        with pytest.raises(Invalid, match="not a role"):
            team.change_role(db, survey, member, "superuser", actor="test")

    def test_adding_twice_conflicts(self, db, survey, owner) -> None:
        with pytest.raises(Conflict):
            team.add(db, survey, owner, Role.OBSERVER, actor="test")


class TestPasswordLink:
    def _invited(self, db, survey, owner) -> str:  # type: ignore[no-untyped-def]
        team.invite(db, survey, email="nina@example.org", name="Nina", role="facilitator", by=owner)
        return link_path(last_mail(db, "team_invitation"))

    def test_the_colleague_sets_a_password_once_and_signs_in(
        self, db, client, survey, owner
    ) -> None:
        link = self._invited(db, survey, owner)

        opened = client.get(link, follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == "/console/password"  # the token leaves the URL
        form = client.get("/console/password")
        set_it = client.post(
            "/console/password",
            data={
                "csrf_token": csrf_from(form.text),
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
            follow_redirects=False,
        )
        assert set_it.status_code == 303
        signed = client.post(
            "/console/login",
            data={
                "csrf_token": csrf_from(client.get("/console/login").text),
                "email": "nina@example.org",
                "password": NEW_PASSWORD,
            },
            follow_redirects=False,
        )
        assert signed.status_code == 303
        assert client.get(f"/console/studies/{survey.key}").status_code == 200

        again = client.get(link)  # the same link a second time
        assert again.status_code == 404
        assert "This link does not work any more" in again.text

    def test_a_late_link_and_an_unknown_one_get_the_same_page(
        self, db, client, survey, owner
    ) -> None:
        link = self._invited(db, survey, owner)
        db.execute(
            AccountToken.__table__.update().values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            )
        )
        late = client.get(link)
        unknown = client.get("/console/password?token=" + "A" * 43)

        assert late.status_code == unknown.status_code == 404
        assert late.text.split("<main")[1] == unknown.text.split("<main")[1]

    def test_a_short_password_is_refused_and_the_link_keeps_working(
        self, db, client, survey, owner
    ) -> None:
        link = self._invited(db, survey, owner)
        client.get(link)
        token = csrf_from(client.get("/console/password").text)

        short = client.post(
            "/console/password", data={"csrf_token": token, "password": "short", "confirm": "short"}
        )

        assert short.status_code == 422
        assert "at least 12 characters" in short.text
        assert client.get("/console/password").status_code == 200
        assert accounts.get_by_email(db, "nina@example.org").password_hash is None


class TestReset:
    def test_a_reset_by_mail_sets_a_new_password_and_ends_old_sessions(
        self, db, client, survey, owner, as_account
    ) -> None:
        old_session = as_account(owner).cookies.get("delphi_session")
        client.cookies.clear()
        sent = post(client, "/console/forgot", "/console/forgot", {"email": "olivia@example.org"})
        unknown = post(
            client, "/console/forgot", "/console/forgot", {"email": "nobody@example.org"}
        )

        assert sent.status_code == unknown.status_code == 200
        assert SENT in sent.text
        assert SENT in unknown.text
        mails = db.scalars(select(Outbox).where(Outbox.template == "password_reset")).all()
        assert [m.to_address for m in mails] == ["olivia@example.org"]

        client.get(link_path(mails[0]))
        token = csrf_from(client.get("/console/password").text)
        client.post(
            "/console/password",
            data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert accounts.authenticate(db, "olivia@example.org", NEW_PASSWORD) is not None
        assert accounts.authenticate(db, "olivia@example.org", PASSWORD) is None
        assert old_session is not None
        client.cookies.clear()
        client.cookies.set("delphi_session", old_session)
        assert client.get("/console", follow_redirects=False).status_code == 303

    def test_asking_twice_within_minutes_sends_one_mail(self, db, owner) -> None:
        passwords.request_reset(db, "olivia@example.org")
        passwords.request_reset(db, "olivia@example.org")

        count = db.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.template == "password_reset")
        )
        assert count == 1


class TestChangePassword:
    URL = "/console/account/password"

    def test_the_current_password_is_needed(self, db, owner, as_account) -> None:
        browser = as_account(owner)
        wrong = post(
            browser,
            self.URL,
            self.URL,
            {"current": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert wrong.status_code == 422
        assert "current password: not correct" in wrong.text

        right = post(
            browser,
            self.URL,
            self.URL,
            {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert right.status_code == 303
        assert browser.get("/console").status_code == 200  # this session goes on
        assert accounts.authenticate(db, owner.email, NEW_PASSWORD) is not None


class TestAuditPage:
    def test_who_did_what_and_when_without_reasons(
        self, db, survey, owner, account, as_account, team_url
    ) -> None:
        observer = account("olga", survey, Role.OBSERVER)
        post(
            as_account(owner),
            team_url,
            team_url,
            {"email": "nina@example.org", "role": "facilitator"},
        )

        page = as_account(observer).get(f"/console/studies/{survey.key}/audit")

        assert page.status_code == 200
        assert "team.add" in page.text
        assert "olivia@example.org" in page.text
        assert "member: nina@example.org" in page.text
        assert "reason" not in page.text.split("<table")[-1].lower()
