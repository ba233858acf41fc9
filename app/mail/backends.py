"""Where composed messages go: an SMTP server, or ``.eml`` files for the demo."""

from __future__ import annotations

import smtplib
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self
from urllib.parse import unquote, urlsplit

from app.config import Settings
from app.mail.render import Composed

SmtpSecurity = Literal["none", "starttls", "tls"]

# scheme -> (transport security, default port)
_SCHEMES: dict[str, tuple[SmtpSecurity, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class MailConfigurationError(ValueError):
    """The mail settings cannot be used as they are; the message says what to set."""


@dataclass(frozen=True)
class Delivery:
    """One message to hand over, with what the file backend needs to label it."""

    outbox_id: int
    kind: str
    to_address: str
    link: str | None
    message: Composed


class Backend(Protocol):
    """Delivers messages; used as a context manager around one pass of the worker."""

    def send(self, delivery: Delivery) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: SmtpSecurity
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """Read ``smtp://``, ``smtp+starttls://user:pass@host:587`` or ``smtps://`` URLs."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        # The URL itself is left out of the message: it may hold a password.
        raise ValueError(
            f"DELPHI_SMTP_URL: unsupported scheme {parts.scheme!r}; "
            "use smtp://, smtp+starttls:// or smtps://"
        )
    if not parts.hostname:
        raise ValueError("DELPHI_SMTP_URL: no host name")
    security, default_port = _SCHEMES[parts.scheme]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpBackend:
    """One SMTP connection per pass, opened on the first message.

    If the server cannot be reached, the rest of the pass fails fast with the same error
    instead of waiting out the timeout once per message.
    """

    def __init__(self, server: SmtpServer, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._unreachable: OSError | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._disconnect()

    def send(self, delivery: Delivery) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        if self._connection is None:
            try:
                self._connection = self._connect()
            except OSError as exc:  # refused, timed out, TLS handshake: smtplib errors too
                self._unreachable = exc
                raise
        try:
            message = delivery.message
            self._connection.sendmail(
                message.sender,
                [message.recipient],
                message.raw,
                mail_options=("SMTPUTF8", "BODY=8BITMIME") if message.international else (),
            )
        except BaseException:
            # After a failure the session state is unknown; the next message reconnects.
            self._disconnect()
            raise

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        connection: smtplib.SMTP
        if server.security == "tls":
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
            if server.username:
                connection.login(server.username, server.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _disconnect(self) -> None:
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


class FileBackend:
    """Writes ``<dir>/<outbox id>-<kind>.eml`` and prints the link: the demo's mailbox."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, delivery: Delivery) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{delivery.outbox_id}-{delivery.kind}.eml"
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(delivery.message.raw)
        # A reader watching the folder never sees a half-written file.
        partial.replace(path)
        if delivery.link:
            sys.stdout.write(f"link for {delivery.to_address}: {delivery.link}\n")
            sys.stdout.flush()


def from_settings(settings: Settings) -> Backend:
    """The backend ``DELPHI_MAIL_BACKEND`` selects; the file backend only outside production."""
    if settings.mail_backend == "file":
        if settings.env == "production":
            # It prints every panelist's personal link: in production that puts bearer
            # capabilities in the service's log, whatever let the setting through.
            raise MailConfigurationError(
                "DELPHI_MAIL_BACKEND=file writes emails to a folder and prints each access "
                "link; it is for development only. In production set DELPHI_MAIL_BACKEND=smtp "
                "and DELPHI_SMTP_URL."
            )
        return FileBackend(settings.mail_dir)
    return SmtpBackend(parse_smtp_url(settings.smtp_url), settings.smtp_timeout)
