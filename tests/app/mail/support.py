"""A real SMTP server on loopback, and settings switched per test."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.config import get_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalSmtp:
    """An aiosmtpd server that keeps every message it accepts, parsed.

    ``credentials`` turns on AUTH (over plain SMTP, acceptable on loopback only);
    ``delay`` slows each DATA reply (a slow relay; racing workers overlap);
    ``receiving`` is set once a message's DATA has arrived, before that delay; ``refuse``
    rejects every recipient, echoing the address back as real servers do; ``stall``
    holds the DATA of that many first messages without ever answering (a server that
    hangs mid-send), keeping none of them.
    """

    def __init__(
        self,
        port: int,
        *,
        credentials: tuple[str, str] | None = None,
        delay: float = 0.0,
        refuse: bool = False,
        stall: int = 0,
    ) -> None:
        self.port = port
        self.delay = delay
        self.refuse = refuse
        self.stall = stall
        self.messages: list[EmailMessage] = []
        self.receiving = threading.Event()
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if credentials is not None:
            options = {
                "auth_require_tls": False,
                "authenticator": self._authenticator(credentials),
            }
        self._controller = Controller(self, hostname="127.0.0.1", port=port, **options)

    def _authenticator(self, credentials: tuple[str, str]) -> Any:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                (data.login.decode(), data.password.decode()) == credentials
            )
            if ok:
                self.logins.append(data.login.decode())
            return AuthResult(success=ok)

        return check

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        if self.stall > 0:
            self.stall -= 1
            await asyncio.Event().wait()  # until the server stops
        await asyncio.sleep(self.delay)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def configure(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Set ``DELPHI_<NAME>`` variables and make the next ``get_settings()`` read them."""
    for name, value in values.items():
        monkeypatch.setenv(f"DELPHI_{name.upper()}", value)
    get_settings.cache_clear()
