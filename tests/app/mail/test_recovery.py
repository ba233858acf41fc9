"""Mail that recovers by itself: SMTP outages, a worker killed mid-send, rounds that close.

Real parts only: a committed database, an aiosmtpd server on loopback, and for the crash
the ``delphi worker`` command in processes of its own, one of them killed with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.db import unit_of_work
from app.models import Outbox, OutboxState, Round, RoundState
from app.models.base import utcnow
from app.rounds import service as rounds
from app.schedule import runner
from app.studies import service as studies
from tests.app.conftest import ROOT, STUDY_FILE
from tests.app.factories import make_panel, submit
from tests.app.mail.support import LocalSmtp, configure

BIN = Path(sys.executable).parent
WAIT = 60  # seconds: a bound on waiting for a subprocess, never an assertion on speed


def launch(size: int) -> list[str]:
    """Commit a study with a panel of ``size`` and round 1 open; the panel's addresses."""
    with unit_of_work() as session:
        survey = studies.import_file(session, STUDY_FILE, actor="test")
        panel = make_panel(session, survey, size)
        rounds.launch(session, survey, actor="test")
        return [str(p.email) for p in panel]


def recipients(server: LocalSmtp, subject: str = "") -> list[str]:
    return sorted(
        str(m["To"].addresses[0].addr_spec) for m in server.messages if subject in m["Subject"]
    )


def rows(kind: str | None = None) -> list[Outbox]:
    with unit_of_work() as session:
        query = select(Outbox).order_by(Outbox.id)
        if kind:
            query = query.where(Outbox.kind == kind)
        return list(session.scalars(query))


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {WAIT} s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.usefixtures("live_database")
class TestSmtpDownThenUp:
    def test_every_panelist_gets_exactly_one_invitation(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(monkeypatch, mail_backend="smtp", smtp_url=f"smtp://127.0.0.1:{smtp_port}")
        addresses = launch(6)
        now = utcnow()
        assert runner.run_once(now=now).mail.retrying == 6
        assert runner.run_once(now=now + dt.timedelta(seconds=10)).mail == runner.mail.SendResult()
        with LocalSmtp(smtp_port) as server:
            later = now + dt.timedelta(seconds=31)
            assert runner.run_once(now=later).mail.sent == 6
            for hours in (1, 2, 24):
                runner.run_once(now=later + dt.timedelta(hours=hours))
        assert Counter(recipients(server)) == Counter(dict.fromkeys(addresses, 1))
        assert {row.state for row in rows()} == {OutboxState.SENT}


@pytest.mark.usefixtures("live_database")
class TestWorkerKilledMidSend:
    def test_the_message_goes_out_after_the_lease_without_anyone_stepping_in(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(
            monkeypatch,
            mail_backend="smtp",
            smtp_url=f"smtp://127.0.0.1:{smtp_port}",
            mail_lease="2",
            worker_interval="0.2",
            smtp_timeout="30",
        )
        addresses = launch(3)
        command = [str(BIN / "delphi"), "worker"]
        with LocalSmtp(smtp_port, stall=1) as server:
            first = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
            try:
                assert server.receiving.wait(WAIT), "the worker never reached DATA"
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(WAIT)
            # It had claimed its batch, all three, and was sending the first.
            stuck = [row for row in rows() if row.state == OutboxState.SENDING]
            assert len(stuck) == 3
            assert all(row.message_id is not None for row in stuck)
            assert server.messages == []  # the stalled message was never accepted
            second = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
            try:
                wait_for(lambda: len(server.messages) >= 3, "three messages")
                wait_for(lambda: {r.state for r in rows()} == {OutboxState.SENT}, "every row sent")
            finally:
                second.terminate()
                second.wait(WAIT)
        assert second.returncode == 0
        assert recipients(server) == sorted(addresses)
        # What the killed worker had claimed went out once each, under its Message-ID.
        for row in stuck:
            [resent] = [m for m in server.messages if m["Message-ID"] == row.message_id]
            assert resent["To"].addresses[0].addr_spec == row.to_address


@pytest.mark.usefixtures("live_database")
class TestClosedRoundReminders:
    def _remind_round(self, size: int = 4) -> None:
        with unit_of_work() as session:
            survey = studies.get_by_key_or_raise(session, "crime-prevention-2027")
            round_ = rounds.get_or_raise(session, survey, 1)
            assert rounds.remind(session, survey, round_, actor="test") == size

    def test_closing_a_round_cancels_its_queued_reminders(self, smtp: LocalSmtp) -> None:
        launch(4)
        runner.run_once()
        self._remind_round()
        with unit_of_work() as session:
            survey = studies.get_by_key_or_raise(session, "crime-prevention-2027")
            rounds.close(session, survey, rounds.get_or_raise(session, survey, 1), actor="t")
        runner.run_once(now=utcnow() + dt.timedelta(days=1))
        assert recipients(smtp, "Reminder") == []
        reminders = rows("reminder")
        assert len(reminders) == 4
        assert {(r.state, r.last_error, r.to_address) for r in reminders} == {
            (OutboxState.CANCELLED, "round closed", None)
        }

    def test_a_reminder_queued_before_a_close_and_claimed_after_it_is_not_sent(
        self, smtp: LocalSmtp
    ) -> None:
        launch(4)
        runner.run_once()
        self._remind_round()
        with unit_of_work() as session:
            # The round closes without its mail being cancelled in the same transaction
            # (a close that commits in steps), and one reminder is left mid-send by a
            # worker that died: neither goes out once the worker looks again.
            session.execute(update(Round).values(state=RoundState.CLOSED))
            first = session.scalar(select(Outbox.id).where(Outbox.kind == "reminder"))
            session.execute(
                update(Outbox)
                .where(Outbox.id == first)
                .values(state=OutboxState.SENDING, lease_until=utcnow())
            )
        runner.run_once(now=utcnow() + dt.timedelta(minutes=10))
        assert recipients(smtp, "Reminder") == []
        assert {r.state for r in rows("reminder")} == {OutboxState.CANCELLED}

    def test_reminders_of_a_round_past_its_deadline_are_not_sent(self, smtp: LocalSmtp) -> None:
        with unit_of_work() as session:
            survey = studies.import_file(session, STUDY_FILE, actor="test")
            panel = make_panel(session, survey, 3)
            round_ = rounds.launch(
                session, survey, deadline=utcnow() + dt.timedelta(days=3), actor="test"
            )
            submit(session, survey, round_, panel[0], lambda j, c: 5)
            assert rounds.remind(session, survey, round_, actor="test") == 2
        # The worker was down until after the deadline: it closes the round first.
        result = runner.run_once(now=utcnow() + dt.timedelta(days=4))
        assert result.closed == 1
        assert recipients(smtp, "Reminder") == []
        assert {r.state for r in rows("reminder")} == {OutboxState.CANCELLED}
