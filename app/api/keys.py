"""Analyst API keys: created once, stored as prefix + SHA-256, sent as a Bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Invalid
from app.models import ApiKey
from app.security import api_key_prefix, constant_time_equal, hash_token, new_api_key
from app.web.sessions import SessionDep

# auto_error=False: a missing header must give our 401 with WWW-Authenticate, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="An analyst key from `delphi apikey create`.")


def create(session: Session, *, name: str) -> str:
    """Store a new key named ``name`` and return the full key; it cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid("an API key needs a name of 1 to 200 characters")
    full, prefix, digest = new_api_key()
    session.add(ApiKey(name=name, prefix=prefix, key_hash=digest))
    session.flush()
    return full


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """The live key ``presented`` stands for, or ``None`` (unknown, wrong or revoked)."""
    prefix = api_key_prefix(presented)
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    # Compare even without a row, so an unknown prefix costs the same as a wrong secret.
    matches = constant_time_equal(row.key_hash if row else "0" * 64, hash_token(presented))
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row


def require_key(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """Dependency: the caller's API key, or 401 with ``WWW-Authenticate: Bearer``."""
    key = authenticate(session, credentials.credentials) if credentials else None
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid API key is required: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return key


# Router-level dependency: every analyst route needs a key, none needs the key row itself.
AnalystKey = Depends(require_key)
