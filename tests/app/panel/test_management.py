"""One panelist at a time: add, edit, remove, a fresh link, delivery status, re-invitation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.mail import status
from app.models import AccessLink, Outbox, OutboxState, Panelist, Respondent, Survey
from app.panel import respondents, roster, service
from app.rounds import invitations, links, repository
from app.rounds import service as rounds
from tests.app.factories import make_panel, submit


def _row(survey: Survey, **values: str) -> service.PanelRow:
    details = {
        "email": "new@example.org",
        "name": "New Person",
        "stakeholder_group": "ngo",
        "language": "fr",
    } | values
    return service.check(survey, **details)


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Panelist)) or 0)


def _token(db: Session, row: Outbox) -> str:
    from app.security import unseal

    assert row.secret is not None
    return unseal(row.secret).rsplit("/", 1)[1]


class TestAdd:
    def test_adds_a_panelist_with_normalised_email(self, db: Session, survey: Survey) -> None:
        added = service.add(db, survey, _row(survey, email="New@Example.ORG"), actor="t")
        assert (added.email, added.language) == ("new@example.org", "fr")
        assert service.list_for(db, survey) == [added]

    @pytest.mark.parametrize(
        ("values", "problem"),
        [
            ({"email": "not-an-email"}, "email:"),
            ({"stakeholder_group": "pirates"}, "stakeholder_group: 'pirates' is not one of"),
            ({"language": "de"}, "language: 'de' is not one of the study's"),
            ({"name": ""}, "name: missing"),
        ],
    )
    def test_bad_details_are_refused_with_the_field(
        self, db: Session, survey: Survey, values: dict[str, str], problem: str
    ) -> None:
        with pytest.raises(Invalid) as info:
            _row(survey, **values)
        assert any(problem in p for p in info.value.problems)
        assert _count(db) == 0

    def test_an_email_already_on_the_panel_is_refused(self, db: Session, survey: Survey) -> None:
        service.add(db, survey, _row(survey), actor="t")
        with pytest.raises(Invalid) as info:
            service.add(db, survey, _row(survey, email="NEW@example.org", name="Other"), actor="t")
        assert info.value.problems == ["email: new@example.org is already on the panel"]
        assert _count(db) == 1

    def test_added_during_an_open_round_is_invited_to_it(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="t")
        added = service.add(db, survey, _row(survey), actor="t")
        assert invitations.invite_late(db, survey, added, actor="t")
        assert added.id in {p.id for p in links.invited(db, round_)}
        [row] = db.scalars(select(Outbox).where(Outbox.panelist_id == added.id))
        assert (row.kind, row.round_id, row.to_address) == ("invitation", round_.id, added.email)

    def test_without_an_open_round_nobody_is_invited(self, db: Session, survey: Survey) -> None:
        added = service.add(db, survey, _row(survey), actor="t")
        assert not invitations.invite_late(db, survey, added, actor="t")
        assert db.scalar(select(func.count()).select_from(Outbox)) == 0


class TestEdit:
    def test_changes_the_fields_and_says_which(self, db: Session, survey: Survey) -> None:
        [panelist] = make_panel(db, survey, 1)
        changed = service.update(
            db,
            survey,
            panelist,
            _row(survey, email=str(panelist.email), name="Renamed", language="es"),
            actor="t",
        )
        assert changed == ["name", "stakeholder_group", "language"]
        assert (panelist.name, panelist.language) == ("Renamed", "es")

    def test_a_new_group_is_the_group_their_answers_count_in(
        self, db: Session, survey: Survey
    ) -> None:
        [panelist] = make_panel(db, survey, 1, groups=("academia",))
        round_ = rounds.launch(db, survey, actor="t")
        submit(db, survey, round_, panelist, lambda j, c: 3)
        service.update(db, survey, panelist, _row(survey, email=str(panelist.email)), actor="t")
        respondent = respondents.find(db, panelist)
        assert respondent is not None
        assert respondent.stakeholder_group == "ngo"

    def test_an_email_of_another_panelist_is_refused_and_nothing_changes(
        self, db: Session, survey: Survey
    ) -> None:
        first, second = make_panel(db, survey, 2)
        with pytest.raises(Invalid, match="nothing was changed") as info:
            service.update(db, survey, second, _row(survey, email=str(first.email)), actor="t")
        assert info.value.problems == [f"email: {first.email} is already on the panel"]
        db.refresh(second)
        assert second.email == "panelist1@example.org"

    def test_the_audit_trail_names_the_fields_not_the_values(
        self, db: Session, survey: Survey
    ) -> None:
        [panelist] = make_panel(db, survey, 1)
        service.update(db, survey, panelist, _row(survey, name="Secret Name"), actor="t")
        trail = repr(db.execute(text("SELECT detail FROM audit_log")).all())
        assert "Secret Name" not in trail
        assert "new@example.org" not in trail


class TestRemove:
    def test_erases_personal_data_and_keeps_the_answers(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 3)
        round_ = rounds.launch(db, survey, actor="t")
        submit(db, survey, round_, panel[0], lambda j, c: 3)
        email, name = panel[0].email, panel[0].name
        service.remove(db, survey, panel[0], actor="t")
        assert panel[0] not in service.list_for(db, survey)
        for table in ("panelist", "outbox", "audit_log", "access_link"):
            dump = repr(db.execute(text(f"SELECT * FROM {table}")).all())
            assert str(email) not in dump
            assert name not in dump
        assert repository.submitted_count(db, round_) == 1
        assert db.scalar(select(func.count()).select_from(Respondent)) == 1

    def test_their_links_stop_working_and_their_unsent_mail_is_cancelled(
        self, db: Session, survey: Survey
    ) -> None:
        [panelist, other] = make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="t")
        [invitation] = db.scalars(select(Outbox).where(Outbox.panelist_id == panelist.id))
        token = _token(db, invitation)
        assert links.resolve(db, token) is not None
        service.remove(db, survey, panelist, actor="t")
        assert links.resolve(db, token) is None
        db.refresh(invitation)
        assert (invitation.state, invitation.last_error) == (
            OutboxState.CANCELLED,
            "panelist removed",
        )
        assert (invitation.secret, invitation.to_address, invitation.context) == (None, None, {})
        # Still counted as invited to the round, and not reminded.
        assert repository.invited_count(db, round_) == 1
        assert rounds.remind(db, survey, round_, actor="t") == 1

    def test_the_address_can_join_again_as_someone_new(self, db: Session, survey: Survey) -> None:
        [panelist] = make_panel(db, survey, 1)
        email = str(panelist.email)
        service.remove(db, survey, panelist, actor="t")
        again = service.add(db, survey, _row(survey, email=email), actor="t")
        assert again.id != panelist.id


class TestResend:
    def test_a_fresh_link_works_and_the_old_ones_do_not(self, db: Session, survey: Survey) -> None:
        [panelist, _] = make_panel(db, survey, 2)
        rounds.launch(db, survey, actor="t")
        [first] = db.scalars(select(Outbox).where(Outbox.panelist_id == panelist.id))
        old = _token(db, first)
        old_link = links.resolve(db, old)
        assert old_link is not None
        invitations.resend(db, survey, panelist, actor="t")
        assert links.resolve(db, old) is None
        assert db.get(AccessLink, old_link.id) is None  # a session opened with it ends too
        db.refresh(first)
        assert first.state == OutboxState.CANCELLED
        [fresh] = db.scalars(
            select(Outbox).where(
                Outbox.panelist_id == panelist.id, Outbox.state == OutboxState.PENDING
            )
        )
        assert links.resolve(db, _token(db, fresh)) is not None

    def test_without_an_open_round_it_is_refused(self, db: Session, survey: Survey) -> None:
        [panelist] = make_panel(db, survey, 1)
        with pytest.raises(Conflict, match="no open round"):
            invitations.resend(db, survey, panelist, actor="t")


class TestDeliveryStatus:
    def test_shows_each_panelists_latest_invitation_and_never_reminders(
        self, db: Session, survey: Survey
    ) -> None:
        panel = make_panel(db, survey, 3)
        round_ = rounds.launch(db, survey, actor="t")
        invites = {
            row.panelist_id: row
            for row in db.scalars(select(Outbox).where(Outbox.kind == "invitation"))
        }
        invites[panel[0].id].state = OutboxState.SENT
        invites[panel[1].id].state = OutboxState.FAILED
        invites[panel[1].id].last_error = "recipient refused by the SMTP server (code 550)"
        db.flush()
        rounds.remind(db, survey, round_, actor="t")
        entries = {e.panelist.id: e for e in roster.entries(db, survey)}
        assert [entries[p.id].state for p in panel] == ["delivered", "failed", "queued"]
        assert "code 550" in entries[panel[1].id].delivery_text
        assert entries[panel[0].id].delivery_text.startswith("round 1 invitation delivered")
        assert set(status.INVITATION_KINDS) == {"invitation"}

    def test_retrying_failed_mail_sends_fresh_links(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="t")
        failed = db.scalar(select(Outbox).where(Outbox.panelist_id == panel[0].id))
        assert failed is not None
        failed.state, failed.to_address, failed.secret = OutboxState.FAILED, None, None
        db.flush()
        assert invitations.retry_failed(db, survey, round_, actor="t") == 1
        db.refresh(failed)
        assert failed.state == OutboxState.CANCELLED
        again = db.scalar(
            select(Outbox).where(Outbox.panelist_id == panel[0].id, Outbox.id != failed.id)
        )
        assert again is not None
        assert (again.state, again.to_address) == (OutboxState.PENDING, panel[0].email)
        assert invitations.retry_failed(db, survey, round_, actor="t") == 0


class TestReinvite:
    def _two_rounds(
        self, db: Session, survey: Survey, reinvite: bool
    ) -> tuple[list[Panelist], set[int]]:
        survey.reinvite_non_responders = reinvite
        panel = make_panel(db, survey, 6)
        round_1 = rounds.launch(db, survey, actor="t")
        for p in panel[:3]:
            submit(db, survey, round_1, p, lambda j, c: 3)
        rounds.close(db, survey, round_1, actor="t")
        newcomer = service.add(db, survey, _row(survey), actor="t")
        round_2 = rounds.launch(db, survey, actor="t")
        return [*panel, newcomer], {p.id for p in links.invited(db, round_2)}

    def test_on_by_default_everyone_is_invited_again(self, db: Session, survey: Survey) -> None:
        assert survey.reinvite_non_responders
        panel, invited = self._two_rounds(db, survey, True)
        assert invited == {p.id for p in panel}

    def test_off_only_those_who_submitted_and_newcomers_are(
        self, db: Session, survey: Survey
    ) -> None:
        panel, invited = self._two_rounds(db, survey, False)
        assert invited == {p.id for p in panel[:3]} | {panel[-1].id}

    def test_a_non_responder_left_out_cannot_be_sent_a_link(
        self, db: Session, survey: Survey
    ) -> None:
        panel, _ = self._two_rounds(db, survey, False)
        with pytest.raises(Conflict, match="is not invited to round 2"):
            invitations.resend(db, survey, panel[4], actor="t")
