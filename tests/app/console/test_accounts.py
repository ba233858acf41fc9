"""Facilitator accounts as `delphi facilitator create` makes them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import i18n
from app.console import accounts
from app.errors import Conflict, Invalid
from app.models import AuditLog, Facilitator

PASSWORD = "a long enough passphrase"


class TestCreateAccount:
    def test_stores_a_normalised_email_and_only_a_password_hash(self, db: Session) -> None:
        created = accounts.create(db, email="  Lead@Example.ORG ", name="Lea", password=PASSWORD)

        assert created.email == "lead@example.org"
        assert PASSWORD not in created.password_hash
        assert accounts.authenticate(db, "LEAD@example.org", PASSWORD) == created

    def test_is_recorded_in_the_audit_log(self, db: Session) -> None:
        accounts.create(db, email="lead@example.org", name="Lea", password=PASSWORD)

        actions = db.scalars(select(AuditLog.action)).all()
        assert "facilitator.create" in actions

    @pytest.mark.parametrize(
        ("email", "name", "password", "problem"),
        [
            ("not-an-email", "Lea", PASSWORD, "email:"),
            ("lead@example.org", "   ", PASSWORD, "name: missing"),
            ("lead@example.org", "Lea", "short pass", "at least 12 characters"),
        ],
    )
    def test_rejects_bad_input_with_the_reason(
        self, db: Session, email: str, name: str, password: str, problem: str
    ) -> None:
        with pytest.raises(Invalid) as caught:
            accounts.create(db, email=email, name=name, password=password)

        assert problem in str(caught.value)
        assert db.scalar(select(Facilitator)) is None

    @pytest.mark.parametrize(
        ("email", "english", "french"),
        [
            ("  ", "email: missing", "email\u00a0: manquant"),
            (
                "lead.example.org",
                "email: not a valid email address: it has no @",
                "adresse électronique\u00a0: adresse non valide\u00a0: il manque le signe @",
            ),
        ],
    )
    def test_a_bad_email_is_explained_in_the_readers_language(
        self, db: Session, email: str, english: str, french: str
    ) -> None:
        with pytest.raises(Invalid) as caught:
            accounts.create(db, email=email, name="Lea", password=PASSWORD)
        [problem] = caught.value.problems
        with i18n.use_language("fr"):
            shown = problem.text()

        assert (problem, shown) == (english, french)

    def test_a_duplicate_email_is_a_conflict(self, db: Session) -> None:
        accounts.create(db, email="lead@example.org", name="Lea", password=PASSWORD)

        with pytest.raises(Conflict, match="already exists"):
            accounts.create(db, email="LEAD@example.org", name="Other", password=PASSWORD)


class TestAuthenticate:
    def test_wrong_password_and_unknown_account_both_fail(self, db: Session) -> None:
        accounts.create(db, email="lead@example.org", name="Lea", password=PASSWORD)

        assert accounts.authenticate(db, "lead@example.org", "wrong password!") is None
        assert accounts.authenticate(db, "nobody@example.org", PASSWORD) is None
