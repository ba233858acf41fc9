"""The outbox worker against a committed database and a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.db import unit_of_work
from app.mail import backends, worker
from app.mail.outbox import enqueue
from app.mail.worker import SendResult, send_due
from app.models import Outbox, OutboxState, RoundState
from app.models.base import utcnow
from app.rounds import links
from app.rounds import service as rounds
from app.schedule import runner
from app.security import new_token
from app.studies import service as studies
from tests.app.conftest import STUDY_FILE
from tests.app.factories import make_panel
from tests.app.mail.support import LocalSmtp, configure

TITLE = "Delphi study on crime-prevention strategies 2027"


@dataclass(frozen=True)
class Queued:
    id: int
    address: str
    link: str

    @property
    def token(self) -> str:
        return self.link.rsplit("/", 1)[1]


def queue(count: int = 1, *, template: str = "invitation", language: str = "en") -> list[Queued]:
    """Commit ``count`` outbox rows the way a launch does, each with its own link."""
    queued = []
    with unit_of_work() as session:
        for i in range(count):
            address = f"panelist{i}@example.org"
            link = f"http://testserver/r/{new_token()}"
            row = enqueue(
                session,
                kind=template,
                to_address=address,
                language=language,
                template=template,
                context={
                    "name": f"Panelist Number{i}",
                    "survey_title": TITLE,
                    "round_number": 1,
                    "statements": 27,
                    "deadline": "2027-03-01",
                },
                link=link,
            )
            session.flush()
            queued.append(Queued(row.id, address, link))
    return queued


def outbox() -> list[Outbox]:
    with unit_of_work() as session:
        return list(session.scalars(select(Outbox).order_by(Outbox.id)))


def outbox_table() -> str:
    """Every column of every outbox row, as text: what someone reading the database sees."""
    with unit_of_work() as session:
        return repr(session.execute(text("SELECT * FROM outbox")).all())


def utc(value: dt.datetime | None) -> dt.datetime:
    """SQLite hands datetimes back without their (UTC) offset."""
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def body(message: object, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


@pytest.fixture
def smtp_down(smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Settings pointing at a loopback port where nothing listens (yet)."""
    configure(monkeypatch, mail_backend="smtp", smtp_url=f"smtp://127.0.0.1:{smtp_port}")
    return smtp_port


@pytest.mark.usefixtures("live_database")
class TestDelivery:
    def test_message_carries_the_link_and_the_study_in_text_and_html(self, smtp: LocalSmtp) -> None:
        [row] = queue()
        assert send_due() == SendResult(sent=1, failed=0, retrying=0)
        [message] = smtp.messages
        assert message["To"] == f"Panelist Number0 <{row.address}>"
        assert TITLE in message["Subject"]
        for subtype in ("plain", "html"):
            assert row.link in body(message, subtype)
            assert TITLE in body(message, subtype)

    def test_sent_row_no_longer_holds_the_link(self, smtp: LocalSmtp) -> None:
        [row] = queue()
        send_due()
        [stored] = outbox()
        assert stored.state == OutboxState.SENT
        assert stored.secret is None
        assert stored.sent_at is not None
        assert stored.message_id == smtp.messages[0]["Message-ID"]
        table = outbox_table()
        assert row.link not in table
        assert row.token not in table

    def test_sent_row_no_longer_holds_the_address_or_the_name(self, smtp: LocalSmtp) -> None:
        [row] = queue(language="fr")
        send_due()
        [stored] = outbox()
        assert stored.to_address is None
        assert stored.context == {}
        assert (stored.kind, stored.language, stored.template) == ("invitation", "fr", "invitation")
        assert stored.attempts == 1
        assert stored.created_at is not None
        table = outbox_table()
        assert row.address not in table
        assert "Panelist Number" not in table
        assert TITLE not in table

    def test_message_id_names_the_outbox_row(self, smtp: LocalSmtp) -> None:
        rows = queue(2)
        send_due()
        ids = [m["Message-ID"] for m in smtp.messages]
        assert [stored.message_id for stored in outbox()] == ids
        for row, message_id in zip(rows, ids, strict=True):
            assert message_id.startswith(f"<outbox-{row.id}.")
            assert message_id.endswith("@localhost>")  # the sender's domain
        assert len(set(ids)) == 2

    def test_a_row_goes_out_once_however_often_the_worker_runs(self, smtp: LocalSmtp) -> None:
        queue(3)
        assert send_due().sent == 3
        assert send_due() == SendResult()
        assert send_due(now=utcnow() + dt.timedelta(days=1)) == SendResult()
        assert len(smtp.messages) == 3

    def test_panelist_gets_the_mail_in_their_language(self, smtp: LocalSmtp) -> None:
        queue(language="fr")
        send_due()
        assert smtp.messages[0]["Subject"].startswith("Votre invitation")
        assert smtp.messages[0]["Content-Language"] == "fr"

    def test_logs_in_when_the_url_has_credentials(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with LocalSmtp(smtp_port, credentials=("delphi", "p@ss word")) as server:
            configure(
                monkeypatch,
                mail_backend="smtp",
                smtp_url=f"smtp://delphi:p%40ss%20word@127.0.0.1:{smtp_port}",
            )
            queue()
            assert send_due().sent == 1
        assert server.logins == ["delphi"]
        assert len(server.messages) == 1


@pytest.mark.usefixtures("live_database")
class TestSmtpDown:
    def test_row_stays_queued_and_is_retried_after_a_back_off(self, smtp_down: int) -> None:
        [row] = queue()
        now = utcnow()
        assert send_due(now=now) == SendResult(sent=0, failed=0, retrying=1)
        [stored] = outbox()
        assert stored.state == OutboxState.PENDING
        assert stored.attempts == 1
        assert utc(stored.next_attempt_at) == now + dt.timedelta(seconds=30)
        assert stored.secret is not None
        assert stored.last_error is not None
        assert "refused" in stored.last_error.lower()
        assert row.token not in stored.last_error

    def test_back_off_doubles_with_each_failure(self, smtp_down: int) -> None:
        queue()
        now = utcnow()
        send_due(now=now)
        later = now + dt.timedelta(seconds=30)
        assert send_due(now=later).retrying == 1
        [stored] = outbox()
        assert stored.attempts == 2
        assert utc(stored.next_attempt_at) == later + dt.timedelta(seconds=60)

    def test_goes_out_exactly_once_when_the_server_is_back_and_the_retry_is_due(
        self, smtp_down: int
    ) -> None:
        [row] = queue()
        now = utcnow()
        send_due(now=now)
        with LocalSmtp(smtp_down) as server:
            assert send_due(now=now + dt.timedelta(seconds=10)) == SendResult()
            assert send_due(now=now + dt.timedelta(seconds=31)).sent == 1
            assert send_due(now=now + dt.timedelta(hours=2)) == SendResult()
        assert len(server.messages) == 1
        assert row.link in body(server.messages[0], "plain")
        [stored] = outbox()
        assert stored.state == OutboxState.SENT
        assert stored.secret is None

    def test_every_attempt_at_a_row_carries_the_same_message_id(self, smtp_down: int) -> None:
        # A timeout can strike after the server took the message: a receiver that sees the
        # retry can then recognise it as the same message.
        queue()
        now = utcnow()
        send_due(now=now)
        [failed] = outbox()
        assert failed.message_id is not None
        with LocalSmtp(smtp_down) as server:
            send_due(now=now + dt.timedelta(minutes=1))
        assert server.messages[0]["Message-ID"] == failed.message_id

    def test_gives_up_after_the_maximum_attempts_and_erases_the_link(
        self, smtp_down: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(monkeypatch, mail_max_attempts="2")
        [row] = queue()
        now = utcnow()
        assert send_due(now=now).retrying == 1
        assert send_due(now=now + dt.timedelta(minutes=1)) == SendResult(failed=1)
        [stored] = outbox()
        assert stored.state == OutboxState.FAILED
        assert stored.attempts == 2
        assert stored.secret is None
        assert stored.to_address is None
        assert stored.context == {}
        assert stored.last_error is not None
        table = outbox_table()
        assert row.link not in table
        assert row.address not in table
        assert "Panelist Number" not in table
        assert send_due(now=now + dt.timedelta(days=1)) == SendResult()

    def test_refused_recipient_is_recorded_without_the_address(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with LocalSmtp(smtp_port, refuse=True) as server:
            configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
            [row] = queue()
            assert send_due().retrying == 1
        [stored] = outbox()
        assert stored.last_error is not None
        assert "550" in stored.last_error
        assert row.address not in stored.last_error


class TestRetrySchedule:
    def test_waits_double_from_thirty_seconds_up_to_an_hour(self) -> None:
        waits = [worker.retry_delay(n).total_seconds() for n in range(1, 10)]
        assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    def test_a_very_high_attempt_count_still_waits_an_hour(self) -> None:
        assert worker.retry_delay(1000) == dt.timedelta(hours=1)


@pytest.mark.usefixtures("live_database")
class TestParallelWorkers:
    def test_two_workers_racing_over_the_same_rows_send_each_once(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A slow server keeps each worker busy with a row while the other tries to claim it.
        with LocalSmtp(smtp_port, delay=0.01) as server:
            configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
            queued = queue(40)
            start = threading.Barrier(2)

            def work() -> SendResult:
                start.wait()
                return send_due()

            with ThreadPoolExecutor(2) as pool:
                results = [f.result() for f in [pool.submit(work), pool.submit(work)]]
        assert sum(r.sent for r in results) == 40
        assert all(r.failed == r.retrying == 0 for r in results)
        recipients = sorted(str(m["To"].addresses[0].addr_spec) for m in server.messages)
        assert recipients == sorted(q.address for q in queued)
        assert len({m["Message-ID"] for m in server.messages}) == 40
        assert {row.state for row in outbox()} == {OutboxState.SENT}


@pytest.mark.usefixtures("live_database")
class TestBatches:
    def test_a_stop_hands_back_the_claimed_rows_it_did_not_send(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        queue(3)
        stop = threading.Event()
        real = backends.SmtpBackend.send

        def send_then_stop(backend: backends.SmtpBackend, delivery: backends.Delivery) -> None:
            real(backend, delivery)
            stop.set()

        monkeypatch.setattr(backends.SmtpBackend, "send", send_then_stop)
        assert send_due(stop=stop) == SendResult(sent=1)
        assert [(r.state, r.attempts, r.lease_until) for r in outbox()] == [
            (OutboxState.SENT, 1, None),
            (OutboxState.PENDING, 0, None),
            (OutboxState.PENDING, 0, None),
        ]
        monkeypatch.setattr(backends.SmtpBackend, "send", real)
        assert send_due() == SendResult(sent=2)
        assert len({m["Message-ID"] for m in smtp.messages}) == 3

    def test_a_pass_larger_than_a_batch_sends_every_row_once(self, smtp: LocalSmtp) -> None:
        queued = queue(worker.BATCH * 2 + 3)
        assert send_due() == SendResult(sent=len(queued))
        assert sorted(str(m["To"].addresses[0].addr_spec) for m in smtp.messages) == sorted(
            q.address for q in queued
        )
        assert {row.state for row in outbox()} == {OutboxState.SENT}


def send_and_crash(monkeypatch: pytest.MonkeyPatch, **send_options: Any) -> None:
    """A pass whose "mark sent" step fails as if the worker died right after the server's 250."""
    real = worker._mark_sent

    def crash_once(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(worker, "_mark_sent", real)
        raise ConnectionError("database connection lost")

    monkeypatch.setattr(worker, "_mark_sent", crash_once)
    with pytest.raises(ConnectionError):
        send_due(**send_options)


def backdate_claims(by: dt.timedelta) -> None:
    with unit_of_work() as session:
        session.execute(update(Outbox).values(claimed_at=utcnow() - by))


def after_the_lease() -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=get_settings().mail_lease + 1)


@pytest.mark.usefixtures("live_database")
class TestCrashAfterHandOver:
    def test_the_row_stays_claimed_until_its_lease_runs_out(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [row] = queue()
        send_and_crash(monkeypatch)
        assert len(smtp.messages) == 1
        [stored] = outbox()
        assert stored.state == OutboxState.SENDING
        assert stored.id == row.id
        assert utc(stored.lease_until) > utcnow()
        assert send_due() == SendResult()
        assert len(smtp.messages) == 1

    def test_after_the_lease_any_worker_sends_it_again_under_the_same_message_id(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [row] = queue()
        send_and_crash(monkeypatch)
        assert send_due(now=after_the_lease()).sent == 1
        first, second = smtp.messages
        assert first["Message-ID"] == second["Message-ID"]
        assert row.link in body(second, "plain")
        [stored] = outbox()
        assert stored.state == OutboxState.SENT
        assert stored.to_address is None
        assert stored.lease_until is None
        assert stored.attempts == 2

    def test_the_crash_and_the_resend_are_logged_with_the_row_id_only(
        self,
        smtp: LocalSmtp,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="app")
        [row] = queue()
        send_and_crash(monkeypatch)
        send_due(now=after_the_lease())
        assert f"outbox {row.id} was handed to the mail server" in caplog.text
        assert f"outbox {row.id}: the worker sending it stopped (its lease ran out)" in caplog.text
        for secret in (row.address, row.link, row.token, "Panelist Number"):
            assert secret not in caplog.text

    def test_a_row_whose_workers_keep_dying_is_given_up_in_the_end(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(monkeypatch, mail_max_attempts="2")
        [row] = queue()
        send_and_crash(monkeypatch)
        send_and_crash(monkeypatch, now=after_the_lease())
        assert send_due(now=after_the_lease()) == SendResult(failed=1)
        [stored] = outbox()
        assert stored.state == OutboxState.FAILED
        assert stored.last_error is not None
        assert "stopped" in stored.last_error
        assert row.link not in outbox_table()
        assert len(smtp.messages) == 2

    def test_requeue_ends_the_lease_at_once(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [row] = queue()
        send_and_crash(monkeypatch)
        result = CliRunner().invoke(cli, ["mail", "requeue"])
        assert result.exit_code == 0, result.output
        assert "requeued 1" in result.output
        assert send_due().sent == 1
        first, second = smtp.messages
        assert first["Message-ID"] == second["Message-ID"]
        assert row.link in body(second, "plain")

    def test_requeue_leaves_a_claim_younger_than_asked(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        queue()
        send_and_crash(monkeypatch)
        backdate_claims(dt.timedelta(minutes=5))
        result = CliRunner().invoke(cli, ["mail", "requeue", "--older-than", "10"])
        assert result.exit_code == 0, result.output
        assert "requeued 0" in result.output
        assert send_due() == SendResult()
        result = CliRunner().invoke(cli, ["mail", "requeue", "--older-than", "4"])
        assert "requeued 1" in result.output
        assert send_due().sent == 1

    def test_status_counts_the_rows_a_stopped_worker_left(
        self, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        queue(3)
        send_and_crash(monkeypatch, limit=1)
        send_due(limit=1)
        result = CliRunner().invoke(cli, ["mail", "status"])
        assert result.exit_code == 0, result.output
        assert "queued 1, sending 1, sent 1, failed 0, cancelled 0" in result.output
        with unit_of_work() as session:
            session.execute(update(Outbox).values(lease_until=utcnow() - dt.timedelta(seconds=1)))
        result = CliRunner().invoke(cli, ["mail", "status"])
        assert "sending 1 (1 left by a stopped worker)" in result.output


@pytest.mark.usefixtures("live_database")
class TestSlowServer:
    def test_a_slow_send_does_not_hold_up_other_writes(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        delay = 3.0
        with LocalSmtp(smtp_port, delay=delay) as server, ThreadPoolExecutor(1) as pool:
            configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
            queue()
            sending = pool.submit(send_due)
            assert server.receiving.wait(timeout=10), "the worker never reached DATA"
            started = time.monotonic()
            queue()  # another process queues an email meanwhile: a write to the database
            elapsed = time.monotonic() - started
            overlapped = not sending.done()
            assert sending.result(timeout=30).sent == 1
        assert elapsed < delay / 3, f"a database write waited {elapsed:.1f} s on the SMTP send"
        assert overlapped
        assert [row.state for row in outbox()] == [OutboxState.SENT, OutboxState.PENDING]


@pytest.mark.usefixtures("live_database")
class TestFileBackend:
    def test_writes_a_readable_eml_and_prints_the_link(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        configure(monkeypatch, mail_backend="file", mail_dir=str(tmp_path / "mail"))
        [row] = queue()
        assert send_due().sent == 1
        path = tmp_path / "mail" / f"{row.id}-invitation.eml"
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert TITLE in message["Subject"]
        assert row.link in body(message, "plain")
        assert row.link in body(message, "html")
        assert f"link for {row.address}: {row.link}" in capsys.readouterr().out
        assert outbox()[0].secret is None


def production(**values: object) -> Settings:
    """Production settings, built without validation: as if a check upstream had been missed."""
    return Settings.model_construct(
        env="production", secret_key="s" * 48, mail_backend="file", **values
    )


class TestFileBackendInProduction:
    def test_is_refused_with_a_message_saying_what_to_set(self, tmp_path: Path) -> None:
        with pytest.raises(backends.MailConfigurationError, match="DELPHI_MAIL_BACKEND=smtp"):
            backends.from_settings(production(mail_dir=tmp_path))

    @pytest.mark.usefixtures("live_database")
    def test_the_worker_prints_no_link_and_leaves_the_queue_as_it_was(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setattr(worker, "get_settings", lambda: production(mail_dir=tmp_path))
        [row] = queue()
        with pytest.raises(backends.MailConfigurationError):
            send_due()
        assert row.link not in capsys.readouterr().out
        assert not any(tmp_path.iterdir())
        [stored] = outbox()
        assert stored.state == OutboxState.PENDING
        assert stored.attempts == 0

    @pytest.mark.usefixtures("live_database")
    def test_the_command_exits_with_the_reason(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(worker, "get_settings", lambda: production(mail_dir=tmp_path))
        [row] = queue()
        result = CliRunner().invoke(cli, ["mail", "send", "--once"])
        assert result.exit_code == 2
        assert "development only" in result.output
        assert row.link not in result.output


@pytest.mark.usefixtures("live_database")
class TestLogging:
    def test_logs_ids_and_counts_but_no_address_name_or_link(
        self, smtp_down: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="app")
        queued = queue(2)
        now = utcnow()
        send_due(now=now)
        with LocalSmtp(smtp_down):
            send_due(now=now + dt.timedelta(minutes=1))
        assert f"outbox {queued[0].id} attempt 1 failed" in caplog.text
        assert "2 sent" in caplog.text
        for row in queued:
            for secret in (row.address, row.link, row.token, "Panelist Number"):
                assert secret not in caplog.text


@pytest.mark.usefixtures("live_database")
class TestLaunchInvitations:
    def launch(self, panel_size: int) -> list[str]:
        with unit_of_work() as session:
            survey = studies.import_file(session, STUDY_FILE, actor="test")
            panel = make_panel(session, survey, panel_size)
            panel[1].language = "es"
            rounds.launch(session, survey, actor="test")
            return [p.email for p in panel]

    def test_launch_then_send_delivers_one_invitation_per_panelist(self, smtp: LocalSmtp) -> None:
        addresses = self.launch(5)
        assert send_due().sent == 5
        assert sorted(str(m["To"].addresses[0].addr_spec) for m in smtp.messages) == sorted(
            addresses
        )
        sent_links = [
            line
            for m in smtp.messages
            for line in body(m, "plain").splitlines()
            if line.startswith("http://testserver/r/")
        ]
        assert len(set(sent_links)) == 5
        with unit_of_work() as session:
            assert all(links.resolve(session, link.rsplit("/", 1)[1]) for link in sent_links)
        table = outbox_table()
        assert not any(link in table for link in sent_links)
        spanish = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == addresses[1]]
        assert spanish[0]["Subject"].startswith("Su invitación")

    def test_smtp_down_during_launch_the_round_opens_and_invitations_wait(
        self, smtp_down: int
    ) -> None:
        self.launch(3)
        now = utcnow()
        assert send_due(now=now) == SendResult(retrying=3)
        with unit_of_work() as session:
            states = list(session.scalars(text("SELECT state FROM round")))
        assert states == [RoundState.OPEN.value]
        with LocalSmtp(smtp_down) as server:
            assert send_due(now=now + dt.timedelta(minutes=1)).sent == 3
        assert len(server.messages) == 3


@pytest.mark.usefixtures("live_database")
class TestCommand:
    def test_send_once_prints_the_counts(self, smtp: LocalSmtp) -> None:
        queue(2)
        result = CliRunner().invoke(cli, ["mail", "send", "--once"])
        assert result.exit_code == 0, result.output
        assert "sent 2, failed 0, will retry 0" in result.output
        assert len(smtp.messages) == 2

    def test_worker_loop_stops_cleanly_on_sigterm(
        self, smtp: LocalSmtp, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="app")
        queue(1)
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        try:
            runner.run_forever(interval=0.05)
        finally:
            timer.cancel()
        assert len(smtp.messages) == 1
        assert "1 sent" in caplog.text
        assert "worker stopped" in caplog.text
