"""The worker's scheduled jobs: rounds closing at their deadline, reminders before it.

Against a committed database (the worker opens its own transactions) and, for what the
panelists receive, a real SMTP server on loopback.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import unit_of_work
from app.models import (
    AuditLog,
    JobState,
    Outbox,
    Round,
    RoundSnapshot,
    RoundState,
    ScheduledReminder,
    Survey,
)
from app.models.base import utcnow
from app.rounds import deadlines
from app.rounds import service as rounds
from app.schedule import jobs, plan, runner
from app.studies import service as studies
from tests.app.conftest import STUDY_FILE
from tests.app.factories import make_panel, submit
from tests.app.mail.support import LocalSmtp

KEY = "crime-prevention-2027"
# A deadline at 17:00 UTC ten days out: reminders fall on days 3, 8 and 10 at 00:00 UTC.
DEADLINE = dt.datetime.combine(
    utcnow().date() + dt.timedelta(days=10), dt.time(17, 0), tzinfo=dt.UTC
)


def study(session: Session) -> Survey:
    return studies.get_by_key_or_raise(session, KEY)


def open_study(
    size: int, *, deadline: dt.datetime | None = DEADLINE, submitted: int = 0
) -> list[str]:
    """Round 1 open with ``submitted`` of ``size`` panelists having submitted; their emails."""
    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY_FILE, actor="test")
        panel = make_panel(session, survey, size)
        round_ = rounds.launch(session, survey, deadline=deadline, actor="test")
        for panelist in panel[:submitted]:
            submit(session, survey, round_, panelist, lambda j, c: 4)
        return [str(p.email) for p in panel]


def round_one() -> Round:
    with unit_of_work() as session:
        return rounds.get_or_raise(session, study(session), 1)


def reminded(server: LocalSmtp) -> list[str]:
    return sorted(
        str(m["To"].addresses[0].addr_spec) for m in server.messages if "Reminder" in m["Subject"]
    )


class TestReminderTimes:
    def test_days_before_count_from_the_deadlines_day_at_midnight_utc(self) -> None:
        deadline = dt.datetime(2027, 3, 10, 17, 0, tzinfo=dt.UTC)
        assert plan.reminder_times(deadline, [0, 7, 2]) == [
            (7, dt.datetime(2027, 3, 3, tzinfo=dt.UTC)),
            (2, dt.datetime(2027, 3, 8, tzinfo=dt.UTC)),
            (0, dt.datetime(2027, 3, 10, tzinfo=dt.UTC)),
        ]

    def test_the_day_itself_is_left_out_for_a_deadline_at_midnight(self) -> None:
        deadline = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)
        assert [d for d, _ in plan.reminder_times(deadline, [1, 0])] == [1]

    def test_a_zone_is_turned_into_utc_first(self) -> None:
        deadline = dt.datetime(2027, 3, 10, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
        assert plan.reminder_times(deadline, [0]) == [(0, dt.datetime(2027, 3, 9, tzinfo=dt.UTC))]


@pytest.mark.usefixtures("live_database")
class TestDeadlineClose:
    def test_a_round_past_its_deadline_is_closed_by_the_worker_as_a_facilitator_would(
        self, smtp: LocalSmtp
    ) -> None:
        open_study(6, submitted=5)
        assert runner.run_once().closed == 0
        result = runner.run_once(now=DEADLINE + dt.timedelta(seconds=1))
        assert result.closed == 1
        with unit_of_work() as session:
            round_ = rounds.get_or_raise(session, study(session), 1)
            assert round_.state == RoundState.CLOSED
            snapshot = session.scalar(
                select(RoundSnapshot).where(RoundSnapshot.round_id == round_.id)
            )
            assert snapshot is not None
            assert (snapshot.responded, snapshot.invited) == (5, 6)
            closes = list(session.scalars(select(AuditLog).where(AuditLog.action == "round.close")))
            assert [(a.actor, a.detail["round"]) for a in closes] == [("scheduler", 1)]
            jobs_left = set(session.scalars(select(ScheduledReminder.state)))
        assert jobs_left == {JobState.CANCELLED}
        assert runner.run_once(now=DEADLINE + dt.timedelta(days=1)).closed == 0

    def test_a_round_without_a_deadline_stays_open(self, smtp: LocalSmtp) -> None:
        open_study(2, deadline=None)
        assert runner.run_once(now=utcnow() + dt.timedelta(days=365)).closed == 0
        assert round_one().state == RoundState.OPEN

    def test_a_close_that_fails_is_logged_and_completed_on_a_later_pass(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        open_study(2, submitted=1)
        real = jobs.rounds.complete

        def broken(*args: object) -> None:
            raise RuntimeError("the engine failed")

        monkeypatch.setattr(jobs.rounds, "complete", broken)
        after = DEADLINE + dt.timedelta(seconds=1)
        assert jobs.close_overdue(after) == 0
        # Closed (no answer is taken after the deadline), but without results yet.
        assert round_one().state == RoundState.CLOSED
        assert "closing round 1 at its deadline failed" in caplog.text
        monkeypatch.setattr(jobs.rounds, "complete", real)
        # A close in progress elsewhere is given time to finish on its own...
        assert jobs.close_overdue(after) == 0
        # ...then the worker computes the results itself.
        monkeypatch.setattr(jobs, "UNFINISHED_AFTER", dt.timedelta(0))
        assert jobs.close_overdue(after) == 1
        with unit_of_work() as session:
            snapshot = session.scalar(select(RoundSnapshot))
            assert snapshot is not None
            assert snapshot.responded == 1

    def test_two_workers_at_once_close_it_once(self) -> None:
        open_study(6, submitted=5)
        start = threading.Barrier(2)

        def work() -> int:
            start.wait()
            return jobs.close_overdue(DEADLINE + dt.timedelta(seconds=1))

        with ThreadPoolExecutor(2) as pool:
            results = [f.result() for f in [pool.submit(work), pool.submit(work)]]
        assert sorted(results) == [0, 1]
        with unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(RoundSnapshot)) == 1
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(AuditLog)
                    .where(AuditLog.action == "round.close")
                )
                == 1
            )


@pytest.mark.usefixtures("live_database")
class TestScheduledReminders:
    def test_launch_writes_the_studys_reminders(self) -> None:
        open_study(2)
        with unit_of_work() as session:
            planned = [
                (j.days_before, plan.as_utc(j.due_at))
                for j in session.scalars(
                    select(ScheduledReminder).order_by(ScheduledReminder.due_at)
                )
            ]
        day = DEADLINE.date()
        assert planned == [
            (d, dt.datetime.combine(day - dt.timedelta(days=d), dt.time(0), tzinfo=dt.UTC))
            for d in (7, 2, 0)
        ]

    def test_a_due_reminder_reaches_only_those_who_have_not_submitted(
        self, smtp: LocalSmtp
    ) -> None:
        emails = open_study(6, submitted=2)
        runner.run_once()  # the invitations
        due = dt.datetime.combine(DEADLINE.date() - dt.timedelta(days=7), dt.time(0), dt.UTC)
        assert runner.run_once(now=due - dt.timedelta(minutes=1)).reminders == 0
        result = runner.run_once(now=due + dt.timedelta(hours=1))
        assert result.reminders == 1
        assert reminded(smtp) == sorted(emails[2:])
        # Once: the next passes find nothing more to do until the next reminder is due.
        assert runner.run_once(now=due + dt.timedelta(days=1)).reminders == 0
        assert reminded(smtp) == sorted(emails[2:])

    def test_two_workers_run_a_due_reminder_once(self, smtp: LocalSmtp) -> None:
        open_study(5, submitted=1)
        when = DEADLINE - dt.timedelta(days=6)
        start = threading.Barrier(2)

        def work() -> int:
            start.wait()
            return jobs.run_reminders(when)

        with ThreadPoolExecutor(2) as pool:
            results = [f.result() for f in [pool.submit(work), pool.submit(work)]]
        assert sorted(results) == [0, 1]
        with unit_of_work() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(Outbox).where(Outbox.kind == "reminder")
                )
                == 4
            )

    def test_after_an_outage_only_the_latest_due_reminder_goes_out(self, smtp: LocalSmtp) -> None:
        emails = open_study(3)
        runner.run_once(now=DEADLINE - dt.timedelta(hours=12))  # 7 and 2 days before: missed
        assert reminded(smtp) == sorted(emails)
        with unit_of_work() as session:
            states = dict(
                session.execute(
                    select(ScheduledReminder.days_before, ScheduledReminder.state)
                ).all()
            )
        assert states == {7: JobState.SKIPPED, 2: JobState.SKIPPED, 0: JobState.DONE}

    def test_no_reminder_for_a_round_closed_by_the_facilitator(self, smtp: LocalSmtp) -> None:
        open_study(3)
        with unit_of_work() as session:
            survey = study(session)
            rounds.close(session, survey, rounds.get_or_raise(session, survey, 1), actor="t")
        runner.run_once(now=DEADLINE - dt.timedelta(hours=12))
        assert reminded(smtp) == []

    def test_a_study_without_reminders_schedules_none(self, db: Session, survey: Survey) -> None:
        survey.reminder_days = []
        make_panel(db, survey, 2)
        rounds.launch(db, survey, deadline=DEADLINE, actor="test")
        assert db.scalar(select(func.count()).select_from(ScheduledReminder)) == 0


class TestExtend:
    def test_moves_the_deadline_reschedules_and_tells_every_invited_panelist(
        self, db: Session, survey: Survey
    ) -> None:
        panel = make_panel(db, survey, 3)
        round_ = rounds.launch(db, survey, deadline=DEADLINE, actor="test")
        submit(db, survey, round_, panel[0], lambda j, c: 4)
        later = DEADLINE + dt.timedelta(days=7)
        assert deadlines.extend(db, survey, round_, later, actor="test") == 3
        assert plan.as_utc(round_.deadline) == later  # type: ignore[arg-type]
        pending = db.scalars(
            select(ScheduledReminder.due_at).where(ScheduledReminder.state == JobState.PENDING)
        )
        assert sorted(plan.as_utc(d).date() for d in pending) == [
            later.date() - dt.timedelta(days=d) for d in (7, 2, 0)
        ]
        notices = list(db.scalars(select(Outbox).where(Outbox.kind == "deadline")))
        assert len(notices) == 3
        assert {n.context["deadline"] for n in notices} == {later.isoformat()}
        assert {n.context["previous_deadline"] for n in notices} == {DEADLINE.isoformat()}

    @pytest.mark.parametrize(
        ("shift", "message"),
        [(dt.timedelta(days=-1), "is not later than the current one")],
    )
    def test_an_earlier_deadline_is_refused_and_nothing_changes(
        self, db: Session, survey: Survey, shift: dt.timedelta, message: str
    ) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, deadline=DEADLINE, actor="test")
        with pytest.raises(deadlines.Invalid, match=message):
            deadlines.extend(db, survey, round_, DEADLINE + shift, actor="test")
        assert plan.as_utc(round_.deadline) == DEADLINE  # type: ignore[arg-type]
        assert db.scalar(select(func.count()).where(Outbox.kind == "deadline")) == 0

    def test_a_past_deadline_is_refused(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, actor="test")
        with pytest.raises(deadlines.Invalid, match="has already passed"):
            deadlines.extend(db, survey, round_, utcnow() - dt.timedelta(hours=1), actor="t")
        assert round_.deadline is None

    def test_a_closed_round_cannot_be_extended(self, db: Session, survey: Survey) -> None:
        make_panel(db, survey, 2)
        round_ = rounds.launch(db, survey, deadline=DEADLINE, actor="test")
        rounds.close(db, survey, round_, actor="test")
        with pytest.raises(rounds.Conflict, match="not open"):
            deadlines.extend(db, survey, round_, DEADLINE + dt.timedelta(days=1), actor="t")


class TestParse:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2027-03-01", dt.datetime(2027, 3, 1, 23, 59, 59, tzinfo=dt.UTC)),
            ("2027-03-01T17:00", dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)),
            ("2027-03-01 17:00Z", dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)),
            ("2027-03-01T17:00+01:00", dt.datetime(2027, 3, 1, 16, 0, tzinfo=dt.UTC)),
            ("  ", None),
        ],
    )
    def test_reads_a_date_or_an_iso_date_and_time(
        self, text: str, expected: dt.datetime | None
    ) -> None:
        assert deadlines.parse(text) == expected

    @pytest.mark.parametrize("text", ["tomorrow", "01/03/2027", "2027-02-30", "2027-03-01T25:00"])
    def test_anything_else_is_refused_with_the_forms_it_takes(self, text: str) -> None:
        with pytest.raises(deadlines.Invalid, match="YYYY-MM-DD"):
            deadlines.parse(text)
