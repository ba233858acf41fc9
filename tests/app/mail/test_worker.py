"""The outbox worker against a committed database and a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from app.cli import cli
from app.db import unit_of_work
from app.mail import worker
from app.mail.outbox import enqueue
from app.mail.worker import SendResult, send_due
from app.models import Outbox, OutboxState, RoundState
from app.models.base import utcnow
from app.rounds import links
from app.rounds import service as rounds
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


@pytest.mark.usefixtures("mail_db")
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
        server = LocalSmtp(smtp_port, credentials=("delphi", "p@ss word"))
        server.start()
        try:
            configure(
                monkeypatch,
                mail_backend="smtp",
                smtp_url=f"smtp://delphi:p%40ss%20word@127.0.0.1:{smtp_port}",
            )
            queue()
            assert send_due().sent == 1
        finally:
            server.stop()
        assert server.logins == ["delphi"]
        assert len(server.messages) == 1


@pytest.mark.usefixtures("mail_db")
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
        server = LocalSmtp(smtp_down)
        server.start()
        try:
            assert send_due(now=now + dt.timedelta(seconds=10)) == SendResult()
            assert send_due(now=now + dt.timedelta(seconds=31)).sent == 1
            assert send_due(now=now + dt.timedelta(hours=2)) == SendResult()
        finally:
            server.stop()
        assert len(server.messages) == 1
        assert row.link in body(server.messages[0], "plain")
        [stored] = outbox()
        assert stored.state == OutboxState.SENT
        assert stored.secret is None

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
        assert row.link not in outbox_table()
        assert send_due(now=now + dt.timedelta(days=1)) == SendResult()

    def test_refused_recipient_is_recorded_without_the_address(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server = LocalSmtp(smtp_port, refuse=True)
        server.start()
        try:
            configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
            [row] = queue()
            assert send_due().retrying == 1
        finally:
            server.stop()
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


@pytest.mark.usefixtures("mail_db")
class TestParallelWorkers:
    def test_two_workers_racing_over_the_same_rows_send_each_once(
        self, smtp_port: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A slow server keeps each worker inside its transaction long enough to collide.
        server = LocalSmtp(smtp_port, delay=0.01)
        server.start()
        configure(monkeypatch, mail_backend="smtp", smtp_url=server.url)
        queued = queue(40)
        start = threading.Barrier(2)

        def work() -> SendResult:
            start.wait()
            return send_due()

        try:
            with ThreadPoolExecutor(2) as pool:
                results = [f.result() for f in [pool.submit(work), pool.submit(work)]]
        finally:
            server.stop()
        assert sum(r.sent for r in results) == 40
        assert all(r.failed == r.retrying == 0 for r in results)
        recipients = sorted(str(m["To"].addresses[0].addr_spec) for m in server.messages)
        assert recipients == sorted(q.address for q in queued)
        assert {row.state for row in outbox()} == {OutboxState.SENT}


@pytest.mark.usefixtures("mail_db")
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


@pytest.mark.usefixtures("mail_db")
class TestLogging:
    def test_logs_ids_and_counts_but_no_address_name_or_link(
        self, smtp_down: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="app")
        queued = queue(2)
        now = utcnow()
        send_due(now=now)
        server = LocalSmtp(smtp_down)
        server.start()
        try:
            send_due(now=now + dt.timedelta(minutes=1))
        finally:
            server.stop()
        assert f"outbox {queued[0].id} attempt 1 failed" in caplog.text
        assert "2 sent" in caplog.text
        for row in queued:
            for secret in (row.address, row.link, row.token, "Panelist Number"):
                assert secret not in caplog.text


@pytest.mark.usefixtures("mail_db")
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
        server = LocalSmtp(smtp_down)
        server.start()
        try:
            assert send_due(now=now + dt.timedelta(minutes=1)).sent == 3
        finally:
            server.stop()
        assert len(server.messages) == 3


@pytest.mark.usefixtures("mail_db")
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
        caplog.set_level(logging.INFO, logger="app.mail")
        queue(1)
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        try:
            worker.run_forever(interval=0.05)
        finally:
            timer.cancel()
        assert len(smtp.messages) == 1
        assert "1 sent" in caplog.text
        assert "mail worker stopped" in caplog.text
