"""Secrets: link tokens, respondent pseudonyms, passwords, API keys, sealed mail links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from app.config import get_settings

# 32 bytes = 256 random bits, twice the 128 the anonymity model requires.
TOKEN_BYTES = 32
API_KEY_PREFIX = "dk_"

_hasher = PasswordHasher()
# Verified against when the account does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def new_token() -> str:
    """A fresh URL-safe bearer token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token; such tokens need no slow hash or salt."""
    return hashlib.sha256(token.encode()).hexdigest()


def _derived_key(purpose: str) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def respondent_key(survey_id: int, panelist_id: int) -> str:
    """The pseudonym of a panelist in a study: HMAC under a key derived from the secret."""
    message = f"{survey_id}:{panelist_id}".encode()
    return hmac.new(_derived_key("respondent"), message, hashlib.sha256).hexdigest()


def imported_respondent_key(survey_id: int, code: str) -> str:
    """The pseudonym of a respondent of a round answered elsewhere, by the code the other
    tool gave them: the same code is the same respondent across imported rounds, and the
    code (which may be a name or an email) is never stored."""
    message = f"{survey_id}:imported:{code}".encode()
    return hmac.new(_derived_key("respondent"), message, hashlib.sha256).hexdigest()


def analyst_pseudonym(respondent_key: str, round_id: int) -> str:
    """The respondent's label in one round's export, unlinkable to the key itself.

    It differs between rounds on purpose: group labels are suppressed per round, so a
    pseudonym shared across rounds would let a group shown in one round unmask it in
    another. Paired change between rounds comes from the metrics instead.
    """
    message = f"{round_id}:{respondent_key}".encode()
    digest = hmac.new(_derived_key("analyst"), message, hashlib.sha256)
    return digest.hexdigest()[:16]


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key("outbox")))


def seal(value: str) -> str:
    """Encrypt ``value`` (an access link) for storage until the mail goes out."""
    return _fernet().encrypt(value.encode()).decode()


def sealer() -> Callable[[str], str]:
    """:func:`seal` with the key derived once, for sealing many values (a launch)."""
    fernet = _fernet()
    return lambda value: fernet.encrypt(value.encode()).decode()


def unseal(sealed: str) -> str:
    """Decrypt a value sealed with :func:`seal`; raises ``ValueError`` if tampered with."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("sealed value cannot be decrypted with this secret key") from exc


def hash_password(password: str) -> str:
    """Argon2id hash (argon2-cffi defaults, RFC 9106 low-memory profile)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check; pass ``None`` for an unknown account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_key() -> tuple[str, str, str]:
    """Return ``(full_key, prefix, sha256)``; only the prefix and hash are stored."""
    prefix = secrets.token_hex(6)
    full = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"
    return full, prefix, hash_token(full)


def api_key_prefix(full_key: str) -> str | None:
    """The lookup prefix of a presented key, or ``None`` if it is not shaped like one."""
    if not full_key.startswith(API_KEY_PREFIX):
        return None
    prefix, _, rest = full_key[len(API_KEY_PREFIX) :].partition("_")
    return prefix if prefix and rest else None


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
