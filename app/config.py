"""Configuration from ``DELPHI_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
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
    session_max_age: int = Field(default=60 * 60 * 24 * 14, gt=0)
    log_level: str = "INFO"

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

    @property
    def cookie_secure(self) -> bool:
        """Cookies carry the Secure flag everywhere but in development and tests."""
        return self.env == "production"


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
