"""Settings refuse unsafe production set-ups and never fall back to a public secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings, get_settings


class TestProduction:
    def test_a_short_or_missing_secret_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="DELPHI_SECRET_KEY"):
            Settings(env="production", secret_key="", mail_backend="smtp")
        with pytest.raises(ValidationError, match="DELPHI_SECRET_KEY"):
            Settings(env="production", secret_key="short", mail_backend="smtp")

    def test_the_file_mail_backend_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="DELPHI_MAIL_BACKEND"):
            Settings(env="production", secret_key="x" * 40, mail_backend="file")

    def test_a_real_configuration_passes_with_secure_cookies(self) -> None:
        settings = Settings(env="production", secret_key="x" * 40, mail_backend="smtp")
        assert settings.cookie_secure


class TestDevelopmentSecret:
    def test_a_random_secret_is_created_once_and_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        secret_file = tmp_path / "var" / "secret_key"
        monkeypatch.setenv("DELPHI_ENV", "development")
        monkeypatch.setenv("DELPHI_SECRET_KEY", "")
        monkeypatch.setenv("DELPHI_SECRET_FILE", str(secret_file))
        get_settings.cache_clear()
        try:
            first = get_settings().secret_key
            get_settings.cache_clear()
            again = get_settings().secret_key
        finally:
            get_settings.cache_clear()
        assert len(first) >= 32
        assert first == again == secret_file.read_text(encoding="ascii")
        assert secret_file.stat().st_mode & 0o777 == 0o600
