"""The scheduler's tests use the mail tests' SMTP server on loopback."""

from tests.app.mail.conftest import smtp, smtp_port

__all__ = ["smtp", "smtp_port"]
