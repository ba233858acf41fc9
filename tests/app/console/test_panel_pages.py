"""The console's panel, mail and deadline pages, as a facilitator uses them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Outbox, OutboxState, Panelist, Round, Survey
from app.models.base import utcnow
from app.panel import service as panel
from app.rounds import links
from app.rounds import service as rounds
from app.schedule.plan import as_utc

PANEL = "/console/studies/crime-prevention-2027/panel"
STUDY = "/console/studies/crime-prevention-2027"
NEW = {
    "email": "new.person@example.org",
    "name": "New Person",
    "stakeholder_group": "ngo",
    "language": "fr",
}


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Panelist)) or 0)


def _outbox(db: Session, **where: Any) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    for name, value in where.items():
        query = query.where(getattr(Outbox, name) == value)
    return list(db.scalars(query))


class TestAddOne:
    def test_the_form_adds_and_the_list_shows_them(
        self, post_form: Callable[..., Any], signed_in: TestClient, db: Session, survey: Survey
    ) -> None:
        page = post_form(PANEL, f"{PANEL}/add", NEW)
        assert page.status_code == 200
        assert "New Person added to the panel." in page.text
        assert "new.person@example.org" in page.text
        assert 'data-delivery="none">not invited yet' in page.text
        assert _count(db) == 1

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                {"stakeholder_group": "pirates"},
                "stakeholder_group: &#39;pirates&#39; is not one of",
            ),
            ({"language": "de"}, "language: &#39;de&#39; is not one of the study&#39;s"),
            ({"email": "nope"}, "email:"),
        ],
    )
    def test_bad_details_are_explained_and_nothing_is_added(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        change: dict[str, str],
        message: str,
    ) -> None:
        page = post_form(PANEL, f"{PANEL}/add", NEW | change)
        assert page.status_code == 422
        assert message in page.text
        assert _count(db) == 0

    def test_an_email_already_on_the_panel_is_explained(
        self, post_form: Callable[..., Any], db: Session, make_panel: Callable[..., Any]
    ) -> None:
        [existing] = make_panel({"ngo": 1})
        page = post_form(PANEL, f"{PANEL}/add", NEW | {"email": str(existing.email).upper()})
        assert page.status_code == 422
        assert f"email: {existing.email} is already on the panel" in page.text
        assert _count(db) == 1

    def test_added_during_an_open_round_is_invited(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="t")
        page = post_form(PANEL, f"{PANEL}/add", NEW)
        assert "Their invitation to the open round is queued." in page.text
        assert len(_outbox(db, kind="invitation")) == 3


class TestOnePanelist:
    def test_edit_changes_the_details(
        self, post_form: Callable[..., Any], db: Session, make_panel: Callable[..., Any]
    ) -> None:
        [p] = make_panel({"ngo": 1})
        url = f"{PANEL}/{p.id}"
        page = post_form(url, url, NEW)
        assert page.status_code == 200
        assert "Changed: email, name, language." in page.text
        db.refresh(p)
        assert (p.email, p.name, p.language) == ("new.person@example.org", "New Person", "fr")

    def test_edit_to_another_panelists_email_is_refused(
        self, post_form: Callable[..., Any], db: Session, make_panel: Callable[..., Any]
    ) -> None:
        first, second = make_panel({"ngo": 2})
        url = f"{PANEL}/{second.id}"
        page = post_form(url, url, NEW | {"email": str(first.email)})
        assert page.status_code == 422
        assert "is already on the panel" in page.text
        assert "nothing was changed" in page.text
        db.refresh(second)
        assert second.name == "Panelist ngo 1"

    def test_remove_erases_them_from_the_list(
        self, post_form: Callable[..., Any], db: Session, make_panel: Callable[..., Any]
    ) -> None:
        [p, _] = make_panel({"ngo": 2})
        email = str(p.email)
        page = post_form(f"{PANEL}/{p.id}", f"{PANEL}/{p.id}/remove")
        assert "was removed from the panel; their name and email are erased." in page.text
        assert email not in page.text
        assert p.removed_at is not None
        assert p.email is None

    def test_a_removed_panelist_has_no_page(
        self, signed_in: TestClient, db: Session, survey: Survey, make_panel: Callable[..., Any]
    ) -> None:
        [p] = make_panel({"ngo": 1})
        panel.remove(db, survey, p, actor="t")
        assert signed_in.get(f"{PANEL}/{p.id}").status_code == 404
        assert signed_in.get(f"{PANEL}/99999999999").status_code == 422

    def test_resend_sends_a_fresh_link_and_the_old_one_stops(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        [p, _] = make_panel({"ngo": 2})
        round_ = rounds.launch(db, survey, actor="t")
        page = post_form(f"{PANEL}/{p.id}", f"{PANEL}/{p.id}/resend")
        assert "A fresh link to round 1 is on its way" in page.text
        assert len(links.invited(db, round_)) == 2
        mails = _outbox(db, panelist_id=p.id)
        assert [m.state for m in mails] == [OutboxState.CANCELLED, OutboxState.PENDING]

    def test_resend_without_an_open_round_is_explained(
        self, post_form: Callable[..., Any], make_panel: Callable[..., Any]
    ) -> None:
        [p] = make_panel({"ngo": 1})
        page = post_form(f"{PANEL}/{p.id}", f"{PANEL}/{p.id}/resend")
        assert page.status_code == 409
        assert "has no open round" in page.text

    def test_remind_one_queues_a_reminder_whether_or_not_they_answered(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        [p, _] = make_panel({"ngo": 2})
        round_ = rounds.launch(db, survey, actor="t")
        submit(round_, [p], lambda *_: 3)
        page = post_form(f"{PANEL}/{p.id}", f"{PANEL}/{p.id}/remind")
        assert "A reminder of round 1 is on its way" in page.text
        [reminder] = _outbox(db, kind="reminder")
        assert reminder.context["nudge"] is True

    def test_the_panel_list_never_shows_reminders(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        round_ = rounds.launch(db, survey, actor="t")
        rounds.remind(db, survey, round_, actor="t")
        page = signed_in.get(PANEL).text
        assert page.count('data-delivery="queued">round 1 invitation queued') == 2
        assert "reminder" not in re.sub(r"<p class=\"hint\">.*?</p>", "", page, flags=re.S)


class TestMailPage:
    def test_counts_each_rounds_mail_by_kind_and_state(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 3})
        round_ = rounds.launch(db, survey, actor="t")
        first, second, _ = _outbox(db, kind="invitation")
        first.state, second.state = OutboxState.SENT, OutboxState.FAILED
        db.flush()
        rounds.remind(db, survey, round_, actor="t")
        page = signed_in.get(f"{STUDY}/mail").text
        row = re.search(r'<tr data-kind="invitation">(.*?)</tr>', page, re.S)
        assert row
        assert re.findall(r'class="num">(\d+)<', row.group(1)) == ["1", "0", "1", "1", "0"]
        assert "Retry 1 failed email" in page

    def test_retry_queues_the_failed_mail_again(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="t")
        failed = _outbox(db, kind="invitation")[0]
        failed.state = OutboxState.FAILED
        db.flush()
        page = post_form(f"{STUDY}/mail", f"{STUDY}/rounds/1/mail/retry")
        assert "1 failed email of round 1 queued again." in page.text
        assert [m.state for m in _outbox(db, panelist_id=failed.panelist_id)] == [
            OutboxState.CANCELLED,
            OutboxState.PENDING,
        ]


class TestDeadline:
    def test_launch_takes_a_date_and_time_with_an_offset(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        page = post_form(STUDY, f"{STUDY}/rounds", {"deadline": "2099-03-01T17:00+02:00"})
        assert page.status_code == 200
        round_ = db.scalar(select(Round))
        assert round_ is not None
        assert as_utc(round_.deadline) == dt.datetime(2099, 3, 1, 15, 0, tzinfo=dt.UTC)  # type: ignore[arg-type]
        assert '<time datetime="2099-03-01T15:00:00+00:00" data-local-time' in page.text
        assert "2099-03-01 15:00 UTC" in page.text

    def test_extend_moves_it_and_the_panel_is_told(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
    ) -> None:
        make_panel({"ngo": 2})
        round_ = rounds.launch(db, survey, deadline=utcnow() + dt.timedelta(days=3), actor="t")
        page = post_form(STUDY, f"{STUDY}/rounds/1/deadline", {"deadline": "2099-12-31"})
        assert "Round 1 now closes at 2099-12-31 23:59 UTC; 2 panelists will be told" in page.text
        assert as_utc(round_.deadline).date() == dt.date(2099, 12, 31)  # type: ignore[arg-type]
        assert len(_outbox(db, kind="deadline")) == 2

    @pytest.mark.parametrize(
        ("deadline", "message"),
        [
            ("2001-01-01", "has already passed"),
            ("soon", "is not a date"),
            ("", "give the new deadline"),
        ],
    )
    def test_a_bad_new_deadline_is_explained_and_nothing_changes(
        self,
        post_form: Callable[..., Any],
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        deadline: str,
        message: str,
    ) -> None:
        make_panel({"ngo": 2})
        rounds.launch(db, survey, actor="t")
        page = post_form(STUDY, f"{STUDY}/rounds/1/deadline", {"deadline": deadline})
        assert page.status_code == 422
        assert message in page.text
        assert db.scalar(select(Round.deadline)) is None
        assert _outbox(db, kind="deadline") == []


class TestGroupResponse:
    def test_rates_per_group_with_small_groups_held_back(
        self,
        signed_in: TestClient,
        db: Session,
        survey: Survey,
        make_panel: Callable[..., Any],
        submit: Callable[..., None],
    ) -> None:
        people = make_panel({"ngo": 6, "academia": 6, "institute": 2, "private-sector": 2})
        round_ = rounds.launch(db, survey, actor="t")
        ngo = [p for p in people if p.stakeholder_group == "ngo"]
        submit(round_, ngo[:3], lambda *_: 3)
        page = signed_in.get(f"{STUDY}/rounds/1").text

        def row(group: str) -> str:
            found = re.search(rf'<tr data-response-group="{group}">(.*?)</tr>', page, re.S)
            assert found, group
            return found.group(1)

        assert re.findall(r'class="num">([^<]+)<', row("ngo")) == ["6", "3", "50%"]
        # 2 + 2 held back together make 4 < 5: the next smallest group (academia, by name
        # among equals) is held back too, so no subtraction isolates fewer than 5 people.
        for group in ("institute", "private-sector", "academia"):
            assert "not shown" in row(group)
            assert len(re.findall(r'class="num">([^<]+)<', row(group))) == 1  # invited only
