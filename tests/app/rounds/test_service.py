"""The round lifecycle: launch, remind, close."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine
from app.errors import Conflict
from app.models import (
    AccessLink,
    Outbox,
    RoundSnapshot,
    RoundState,
    StatementState,
    Survey,
)
from app.rounds import links
from app.rounds import service as rounds
from app.security import hash_token, unseal
from tests.app.factories import make_panel, submit


class TestLaunch:
    def test_freezes_statements_and_invites_everyone(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 6)
        round_ = rounds.launch(db, survey, actor="test")
        assert round_.number == 1
        assert round_.state == RoundState.OPEN
        assert [i.statement.key for i in round_.items] == [s.key for s in survey.statements]
        assert db.scalar(select(func.count()).select_from(AccessLink)) == len(panel)
        mails = db.scalars(select(Outbox)).all()
        assert sorted(m.to_address for m in mails) == sorted(p.email for p in panel)
        assert {m.kind for m in mails} == {"invitation"}

    def test_only_hashes_of_tokens_are_stored(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        rounds.launch(db, survey, actor="test")
        mail = db.scalars(select(Outbox)).first()
        assert mail is not None
        assert mail.secret is not None
        link = unseal(mail.secret)
        token = link.rsplit("/", 1)[-1]
        assert len(token) >= 22  # >= 128 bits in URL-safe base64
        assert token not in mail.secret
        stored = db.scalars(select(AccessLink.token_hash)).all()
        assert hash_token(token) in stored
        assert token not in stored

    def test_second_launch_while_open_is_refused(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        rounds.launch(db, survey, actor="test")
        with pytest.raises(Conflict, match="already has an open round"):
            rounds.launch(db, survey, actor="test")

    def test_no_panel_no_launch(self, db: Session, survey: Survey) -> None:
        with pytest.raises(Conflict, match="no panel"):
            rounds.launch(db, survey, actor="test")

    def test_deadline_in_the_past_is_refused(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        with pytest.raises(Conflict, match="future"):
            rounds.launch(db, survey, deadline=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), actor="t")

    def test_links_resolve_to_their_round(self, db: Session, survey: Survey) -> None:
        (panelist,) = make_panel(db, survey, 1)
        round_ = rounds.launch(db, survey, actor="test")
        url = links.mint(db, round_, panelist)
        db.flush()
        found = links.resolve(db, url.rsplit("/", 1)[-1])
        assert found is not None
        assert found.round_id == round_.id
        assert links.resolve(db, "not-a-token") is None


class TestRemind:
    def test_only_those_who_have_not_submitted(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 5)
        round_ = rounds.launch(db, survey, actor="test")
        submit(db, survey, round_, panel[0], lambda j, c: 5)
        assert rounds.remind(db, survey, round_, actor="test") == 4
        reminded = db.scalars(select(Outbox.to_address).where(Outbox.kind == "reminder")).all()
        assert panel[0].email not in reminded


class TestClose:
    def test_computes_snapshot_with_the_engine(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 10)
        round_ = rounds.launch(db, survey, actor="test")
        for i, panelist in enumerate(panel):
            submit(
                db,
                survey,
                round_,
                panelist,
                lambda j, c, i=i: (9 if j == 0 else 1 + (i % 2) * 8) if c == 0 else 3,
            )
        snap = rounds.close(db, survey, round_, actor="test")
        assert round_.state == RoundState.CLOSED
        assert snap.responded == 10
        assert snap.invited == 10
        assert snap.engine_version == engine.__version__
        first, second = snap.results["statements"][:2]
        assert first["consensus"] is True
        assert first["outcome"] == "consensus"
        assert second["consensus"] is False
        assert second["outcome"] == "carried"
        expected = engine.summarize(
            np.array([[1 + (i % 2) * 8] for i in range(10)], dtype=float), engine.Scale(1, 9)
        ).records()[0]
        assert second["criteria"]["importance"]["median"] == expected["median"]
        assert second["criteria"]["importance"]["iqr"] == expected["iqr"]
        assert survey.statements[0].state == StatementState.CONSENSUS
        assert survey.statements[1].state == StatementState.ACTIVE

    def test_groups_below_k_are_suppressed(self, db: Session, survey: Survey) -> None:
        panel = make_panel(
            db, survey, 12, groups=("ngo",) * 5 + ("academia",) * 5 + ("institute",) * 2
        )
        round_ = rounds.launch(db, survey, actor="test")
        for panelist in panel:
            submit(db, survey, round_, panelist, lambda j, c: 5)
        snap = rounds.close(db, survey, round_, actor="test")
        groups = snap.results["statements"][0]["groups"]["importance"]
        assert groups["institute"] is None  # 2 < k = 5
        assert groups["member-state"] is None  # nobody
        # With one small group hidden, one more is hidden so subtraction can't reveal it.
        assert [groups["ngo"] is None, groups["academia"] is None].count(True) == 1

    def test_next_round_carries_only_open_statements(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 6)
        round_1 = rounds.launch(db, survey, actor="test")
        for panelist in panel:
            submit(db, survey, round_1, panelist, lambda j, c: (9 if j < 3 else 5) if c == 0 else 3)
        rounds.close(db, survey, round_1, actor="test")
        round_2 = rounds.launch(db, survey, actor="test")
        carried = [i.statement.key for i in round_2.items]
        assert carried == [s.key for s in survey.statements[3:]]

    def test_round_two_records_paired_change(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 6)
        round_1 = rounds.launch(db, survey, actor="test")
        for panelist in panel:
            submit(db, survey, round_1, panelist, lambda j, c: 5)
        rounds.close(db, survey, round_1, actor="test")
        round_2 = rounds.launch(db, survey, actor="test")
        for panelist in panel:
            submit(db, survey, round_2, panelist, lambda j, c: 5)
        snap = rounds.close(db, survey, round_2, actor="test")
        change = snap.results["statements"][0]["change"]["importance"]
        assert change["pairs"] == 6
        assert change["net_change"] == 0.0
        assert change["stable"] is True
        assert snap.results["statements"][0]["outcome"] == "stable"

    def test_closing_twice_is_refused(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        rounds.close(db, survey, round_, actor="test")
        with pytest.raises(Conflict, match="not open"):
            rounds.close(db, survey, round_, actor="test")
        assert db.scalar(select(func.count()).select_from(RoundSnapshot)) == 1

    def test_a_round_nobody_answered_still_closes(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 3)
        round_ = rounds.launch(db, survey, actor="test")
        snap = rounds.close(db, survey, round_, actor="test")
        assert snap.responded == 0
        assert snap.results["statements"][0]["criteria"]["importance"]["n"] == 0
        assert snap.results["statements"][0]["criteria"]["importance"]["median"] is None


class TestStatus:
    def test_response_rate(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 4)
        round_ = rounds.launch(db, survey, actor="test")
        submit(db, survey, round_, panel[0], lambda j, c: 5)
        status = rounds.status(db, round_)
        assert (status.invited, status.submitted, status.response_rate) == (4, 1, 0.25)
