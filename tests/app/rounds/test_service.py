"""The round lifecycle: launch, remind, close."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import engine
from app.errors import Conflict, Invalid
from app.models import (
    AccessLink,
    Outbox,
    Round,
    RoundSnapshot,
    RoundState,
    StatementState,
    Survey,
)
from app.rounds import links, repository
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

    def test_a_round_number_taken_meanwhile_is_a_conflict(
        self, db: Session, survey: Survey, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The safety net under the study lock: a duplicate round is refused, not a 500."""
        make_panel(db, survey, 2)
        rounds.close(db, survey, rounds.launch(db, survey, actor="test"), actor="test")
        monkeypatch.setattr(repository, "latest", lambda session, survey: None)
        with pytest.raises(Conflict, match="round 1 of study .* already exists"):
            rounds.launch(db, survey, actor="test")
        assert db.scalars(select(Round.number)).all() == [1]

    def test_a_finished_study_is_not_launched(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        rounds.finish(db, survey, actor="test")
        with pytest.raises(Conflict, match="is finished"):
            rounds.launch(db, survey, actor="test")

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
        with pytest.raises(Invalid, match="has already passed"):
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

    def test_links_do_not_tell_who_had_not_submitted(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 5)
        round_ = rounds.launch(db, survey, actor="test")
        submit(db, survey, round_, panel[0], lambda j, c: 5)
        submit(db, survey, round_, panel[3], lambda j, c: 5)
        assert rounds.remind(db, survey, round_, actor="test") == 3
        links_ = db.execute(select(AccessLink.panelist_id, AccessLink.created_on)).all()
        # Everyone got a fresh link on the day of the reminder, submitted or not...
        assert Counter(pid for pid, _ in links_) == {p.id: 2 for p in panel}
        assert len({day for _, day in links_}) == 1
        # ...but only those who had not submitted get an email.
        reminded = db.scalars(select(Outbox.to_address).where(Outbox.kind == "reminder")).all()
        assert sorted(reminded) == sorted(p.email for p in (panel[1], panel[2], panel[4]))

    def test_a_closed_round_is_not_reminded(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        rounds.close(db, survey, round_, actor="test")
        with pytest.raises(Conflict, match="not open"):
            rounds.remind(db, survey, round_, actor="test")


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

    def test_raters_not_respondents_decide_per_statement(self, db: Session, survey: Survey) -> None:
        panel = make_panel(db, survey, 15, groups=("ngo",) * 5 + ("academia",) * 10)
        round_ = rounds.launch(db, survey, actor="test")
        for i, panelist in enumerate(panel):
            # the first ngo member cannot judge the first statement
            submit(db, survey, round_, panelist, lambda j, c, i=i: None if i == j == 0 else 5)
        snap = rounds.close(db, survey, round_, actor="test")
        first, second = (e["groups"]["importance"] for e in snap.results["statements"][:2])
        assert first["ngo"] is None  # four raters, not five respondents
        assert first["academia"] is None  # alone it would be the total minus ngo's four
        assert second["ngo"] is not None
        assert second["ngo"]["n"] == 5
        assert second["academia"]["n"] == 10

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

    def test_a_round_closed_meanwhile_is_refused(self, db: Session, survey: Survey) -> None:
        """Another facilitator closed it after this one loaded the page."""
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        db.execute(
            update(Round)
            .where(Round.id == round_.id)
            .values(state=RoundState.CLOSED)
            .execution_options(synchronize_session=False)
        )
        assert round_.state == RoundState.OPEN  # what this facilitator still sees
        with pytest.raises(Conflict, match="round 1 is already closed"):
            rounds.close(db, survey, round_, actor="test")
        assert db.scalar(select(func.count()).select_from(RoundSnapshot)) == 0

    def test_a_stored_snapshot_is_never_replaced(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        db.add(
            RoundSnapshot(
                round_id=round_.id,
                engine_version="0",
                method={},
                invited=0,
                responded=0,
                results={"statements": []},
            )
        )
        db.flush()
        with pytest.raises(Conflict, match="already has its results"):
            rounds.close(db, survey, round_, actor="test")
        # The session is still usable: the failed insert was rolled back to a savepoint.
        assert db.scalar(select(RoundSnapshot.engine_version)) == "0"

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


class TestGroupDivergence:
    """Kruskal-Wallis across stakeholder groups never involves a group the report hides."""

    RATINGS = {"member-state": 8, "ngo": 2, "academia": 9, "institute": 1}

    def close(self, db: Session, survey: Survey, sizes: dict[str, int]) -> dict[str, Any]:
        groups = tuple(group for group, size in sizes.items() for _ in range(size))
        panel = make_panel(db, survey, len(groups), groups=groups)
        round_ = rounds.launch(db, survey, actor="test")
        for panelist in panel:
            group = panelist.stakeholder_group
            submit(
                db, survey, round_, panelist, lambda j, c, g=group: self.RATINGS[g] if c == 0 else 3
            )
        return rounds.close(db, survey, round_, actor="test").results["statements"][0]

    def test_groups_hidden_by_complementary_suppression_are_left_out(
        self, db: Session, survey: Survey
    ) -> None:
        sizes = {"member-state": 6, "ngo": 5, "academia": 5, "institute": 2}
        entry = self.close(db, survey, sizes)
        shown = {g for g, record in entry["groups"]["importance"].items() if record is not None}
        # institute is too small, and one group of five is hidden with it, though >= k.
        assert len(shown) == 2
        assert "member-state" in shown
        members = [g for g, size in sizes.items() for _ in range(size) if g in shown]
        expected = engine.group_divergence(
            np.array([[self.RATINGS[g]] for g in members], dtype=float),
            np.asarray(members, dtype=object),
        )
        divergence = entry["divergence"]["importance"]
        assert divergence["h"] == pytest.approx(float(expected.h[0]))
        assert divergence["p"] == pytest.approx(float(expected.pvalue[0]))

    def test_each_statement_compares_the_groups_shown_on_it(
        self, db: Session, survey: Survey
    ) -> None:
        groups = ("member-state",) * 6 + ("ngo",) * 6 + ("academia",) * 6
        panel = make_panel(db, survey, len(groups), groups=groups)
        round_ = rounds.launch(db, survey, actor="test")
        for i, panelist in enumerate(panel):
            rating = self.RATINGS[panelist.stakeholder_group]
            # two academics cannot judge the second statement
            unable = i in (12, 13)
            submit(
                db,
                survey,
                round_,
                panelist,
                lambda j, c, r=rating, u=unable: None if (u and j == 1) else (r if c == 0 else 3),
            )
        first, second = rounds.close(db, survey, round_, actor="test").results["statements"][:2]
        shown = [g for g, record in second["groups"]["importance"].items() if record is not None]
        # academia has four raters there; member-state (tied smallest, first label) goes too
        assert shown == ["ngo"]
        assert second["divergence"]["importance"] == {"h": None, "p": None}
        expected = engine.group_divergence(
            np.array([[self.RATINGS[g]] for g in groups], dtype=float),
            np.asarray(groups, dtype=object),
        )
        assert first["divergence"]["importance"]["h"] == pytest.approx(float(expected.h[0]))

    def test_with_one_group_shown_there_is_nothing_to_compare(
        self, db: Session, survey: Survey
    ) -> None:
        entry = self.close(db, survey, {"ngo": 5, "academia": 5, "institute": 2})
        shown = [g for g, record in entry["groups"]["importance"].items() if record is not None]
        assert len(shown) == 1
        assert entry["divergence"]["importance"] == {"h": None, "p": None}
