"""The real parts for end-to-end tests: a fresh database, an SMTP server, uvicorn, the CLI."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.app.conftest import scratch_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMMAND_TIMEOUT = 60
STARTUP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def since(self, start: int) -> list[tuple[list[str], EmailMessage]]:
        with self._lock:
            return self.messages[start:]


class Deployment:
    """One installation of the app: its environment, CLI, server process and log."""

    def __init__(self, database_url: str, smtp_port: int, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.cli_output: list[str] = []
        self.env = {
            **os.environ,
            "DELPHI_ENV": "test",
            "DELPHI_DATABASE_URL": database_url,
            "DELPHI_BASE_URL": self.base_url,
            "DELPHI_MAIL_BACKEND": "smtp",
            "DELPHI_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DELPHI_MAIL_DIR": str(workdir / "mail"),
            # INFO, so the access log is written and the token check below means something.
            "DELPHI_LOG_LEVEL": "INFO",
        }
        self._server: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        """Run ``delphi ARGS`` and return its standard output; fail with its output on error."""
        result = subprocess.run(
            [str(BIN / "delphi"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        self.cli_output.append(result.stdout + result.stderr)
        if result.returncode != 0:
            pytest.fail(f"delphi {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result.stdout

    def serve(self, workers: int = 1) -> None:
        """Start ``delphi serve`` (``workers`` processes) and wait until it answers."""
        with self.log_path.open("ab") as log:
            self._server = subprocess.Popen(
                # As operators do: the CLI turns uvicorn's access log and proxy headers off.
                [
                    str(BIN / "delphi"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so kill() reaches every worker process.
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                pytest.fail(f"the server exited at start-up:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the server (and its worker processes): no shutdown, no cleanup."""
        if self._server is None or self._server.poll() is not None:
            return
        os.killpg(self._server.pid, signal.SIGKILL)
        self._server.wait(timeout=10)

    def stop(self) -> None:
        if self._server is None or self._server.poll() is not None:
            return
        self._server.terminate()
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback and the messages it received."""
    handler = Mailbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, ready_timeout=10)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from scratch_database(tmp_path_factory, "e2e")


@pytest.fixture
def deployment(e2e_database_url: str, mailbox: Mailbox, tmp_path: Path) -> Iterator[Deployment]:
    """The app installed on a fresh database; the server is stopped however the test ends."""
    deployed = Deployment(e2e_database_url, mailbox.port, tmp_path)
    try:
        yield deployed
    finally:
        deployed.stop()
