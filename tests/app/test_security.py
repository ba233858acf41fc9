"""Secrets: tokens, pseudonyms, passwords, API keys, sealed links, log redaction."""

from __future__ import annotations

import base64
import logging

import pytest

from app import logs, security


class TestTokens:
    def test_tokens_carry_at_least_128_random_bits(self) -> None:
        token = security.new_token()
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
        assert security.new_token() != token

    def test_hash_is_stable_and_not_the_token(self) -> None:
        token = security.new_token()
        assert security.hash_token(token) == security.hash_token(token)
        assert token not in security.hash_token(token)


class TestPseudonyms:
    def test_same_panelist_same_key_other_study_other_key(self) -> None:
        assert security.respondent_key(1, 7) == security.respondent_key(1, 7)
        assert security.respondent_key(1, 7) != security.respondent_key(2, 7)
        assert security.respondent_key(1, 7) != security.respondent_key(1, 8)


class TestSeal:
    def test_round_trip_and_tamper(self) -> None:
        sealed = security.seal("https://example.org/r/secret-token")
        assert "secret-token" not in sealed
        assert security.unseal(sealed) == "https://example.org/r/secret-token"
        with pytest.raises(ValueError, match="cannot be decrypted"):
            security.unseal(sealed[:-4] + "AAAA")


class TestPasswords:
    def test_verify(self) -> None:
        hashed = security.hash_password("correct horse battery")
        assert security.verify_password(hashed, "correct horse battery")
        assert not security.verify_password(hashed, "wrong")
        assert not security.verify_password(None, "anything")


class TestApiKeys:
    def test_prefix_lookup(self) -> None:
        full, prefix, digest = security.new_api_key()
        assert security.api_key_prefix(full) == prefix
        assert security.hash_token(full) == digest
        assert security.api_key_prefix("Bearer nonsense") is None


class TestLogRedaction:
    def test_access_log_paths_lose_their_token(self, caplog: pytest.LogCaptureFixture) -> None:
        logger = logging.getLogger("uvicorn.access")
        logs.install("INFO")
        token = security.new_token()
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", f"/r/{token}", "1.1", 303)
        assert token not in caplog.text
        assert "/r/[redacted]" in caplog.text
