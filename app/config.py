"""Configuration from ``DELPHI_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    """All runtime settings. Every field maps to ``DELPHI_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DELPHI_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEVELOPMENT_SECRET
    database_url: str = "sqlite:///var/delphi.sqlite3"
    base_url: str = "http://127.0.0.1:8000"
    mail_backend: Literal["smtp", "file"] = "file"
    mail_dir: Path = Path("var/mail")
    mail_from: str = "Delphi panel <delphi@localhost>"
    smtp_url: str = "smtp://127.0.0.1:25"
    smtp_timeout: float = Field(default=10.0, gt=0)
    # With back-off capped at an hour, 30 attempts keep retrying for about a day.
    mail_max_attempts: int = Field(default=30, ge=1)
    session_max_age: int = Field(default=60 * 60 * 24 * 14, gt=0)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "DELPHI_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def cookie_secure(self) -> bool:
        """Cookies carry the Secure flag everywhere but in development and tests."""
        return self.env == "production"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
