"""Configuration from ``DELPHI_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """All runtime settings. Every field maps to ``DELPHI_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DELPHI_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    # Empty outside production means "use the random key kept in secret_file".
    secret_key: str = ""
    secret_file: Path = Path("var/secret_key")
    database_url: str = "sqlite:///var/delphi.sqlite3"
    base_url: str = "http://127.0.0.1:8000"
    mail_backend: Literal["smtp", "file"] = "file"
    mail_dir: Path = Path("var/mail")
    mail_from: str = "Delphi panel <delphi@localhost>"
    smtp_url: str = "smtp://127.0.0.1:25"
    smtp_timeout: float = Field(default=10.0, gt=0)
    # With back-off capped at an hour, 30 attempts keep retrying for about a day.
    mail_max_attempts: int = Field(default=30, ge=1)
    # Seconds a worker owns a mail it is sending; after that any worker may send it again
    # (same Message-ID). Keep it well above the time a send can take (a few timeouts).
    mail_lease: float = Field(default=300.0, gt=0)
    # Seconds between the background worker's passes (mail and scheduled jobs).
    worker_interval: float = Field(default=5.0, gt=0)
    # Seconds a process's live figures of a real-time study may lag answers that other
    # processes took (its own answers count at once); 0 reads them afresh every time.
    live_max_age: float = Field(default=2.0, ge=0, le=60)
    session_max_age: int = Field(default=60 * 60 * 24 * 14, gt=0)
    log_level: str = "INFO"
    # Host names besides the base URL's that production answers to (comma-separated).
    allowed_hosts: str = ""
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated ("*" for any). Empty: the headers are ignored.
    trusted_proxies: str = ""
    # Where rate-limit counters live: memory:// (one process) or redis://host:port (shared
    # by every worker process).
    rate_limit_storage: str = "memory://"
    # Bounded waits: how long a request may wait for a database lock or connection, and
    # for a free place among the requests being served, before it gets 503 Retry-After.
    lock_timeout: float = Field(default=5.0, gt=0, le=60)
    admission_timeout: float = Field(default=4.0, gt=0, le=60)
    # Requests served at once by one process; the rest queue (briefly, see above). At most
    # the connection pool (pool size + overflow), so an admitted request never waits for
    # a connection, and far below the thread pool, so a lock holder always has a thread.
    # 10, not 20: on 2 cores, 2 PostgreSQL workers served 256 submits/s at 200 connections
    # with 10 against 125 with 20 (more requests at once only add switching; make bench).
    max_concurrency: int = Field(default=10, ge=1, le=1000)
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_overflow: int = Field(default=10, ge=0)
    # The headless browser that prints the final report to PDF (a path or a name on PATH).
    chromium: str = "chromium"

    @model_validator(mode="after")
    def _every_admitted_request_finds_a_connection(self) -> Settings:
        if self.max_concurrency > self.db_pool_size + self.db_pool_overflow:
            raise ValueError(
                "DELPHI_MAX_CONCURRENCY must not exceed DELPHI_DB_POOL_SIZE + "
                "DELPHI_DB_POOL_OVERFLOW: an admitted request must always find a connection"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_settings(self) -> Settings:
        if self.env != "production":
            return self
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"DELPHI_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} "
                "characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.mail_backend != "smtp":
            raise ValueError(
                "DELPHI_MAIL_BACKEND must be 'smtp' in production: the file backend prints "
                "panelists' personal links"
            )
        return self

    @field_validator("base_url")
    @classmethod
    def _absolute_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"DELPHI_BASE_URL must be an absolute http(s) URL, not {value!r}")
        if parts.path.strip("/") or parts.query or parts.fragment:
            # Every page links from the root of the host (see app/web/urls.py).
            raise ValueError(
                f"DELPHI_BASE_URL must be the root of a site, like https://delphi.example.org,"
                f" not {value!r}"
            )
        return value.rstrip("/")

    @field_validator("rate_limit_storage")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(("redis://", "rediss://")):
            raise ValueError(
                f"DELPHI_RATE_LIMIT_STORAGE must be memory:// or redis://host:port "
                f"(rediss:// with TLS), not {value!r}"
            )
        return value

    @property
    def host_names(self) -> list[str]:
        """The Host header values production accepts: the base URL's host and the extras."""
        hostname = urlsplit(self.base_url).hostname or ""
        return [hostname, *_items(self.allowed_hosts)]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)

    @property
    def session_cookie(self) -> str:
        """``__Host-`` in production: the browser then insists on Secure, Path=/, no Domain."""
        return "__Host-delphi_session" if self.env == "production" else "delphi_session"

    @property
    def cookie_secure(self) -> bool:
        """Cookies carry the Secure flag everywhere but in development and tests."""
        return self.env == "production"


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _persistent_secret(path: Path) -> str:
    """The machine's own random secret, created on first use; never a public placeholder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    secret = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    settings = Settings()
    if not settings.secret_key:
        settings = settings.model_copy(
            update={"secret_key": _persistent_secret(settings.secret_file)}
        )
    return settings
