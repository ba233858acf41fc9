"""Analyst API keys: created once, stored as prefix + SHA-256, sent as a Bearer token.

A key reads one study (its scope) or, made with the CLI, every study; it may have an
expiry. A revoked or expired key is refused from that moment, with 401. The day a key was
last used is recorded (at most one write per key and day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, NotFound
from app.models import ApiKey, Survey
from app.models.base import today, utcnow
from app.rounds import deadlines
from app.schedule import plan
from app.security import api_key_prefix, constant_time_equal, hash_token, new_api_key
from app.web.sessions import SessionDep, TransactionsDep

# auto_error=False: a missing header must give our 401 with WWW-Authenticate, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="An analyst key from `delphi apikey create`.")
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class KeyView:
    """One line of a key list: never the key itself, which is not stored."""

    key: ApiKey
    study: str | None  # the scope's study key; None: every study

    @property
    def state(self) -> str:
        if self.key.revoked_at is not None:
            return "revoked"
        if expired(self.key):
            return "expired"
        return "active"


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def expired(key: ApiKey, now: dt.datetime | None = None) -> bool:
    return key.expires_at is not None and _aware(key.expires_at) <= (now or utcnow())


def _show(moment: dt.datetime) -> str:
    return plan.as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def parse_expiry(text: str) -> dt.datetime | None:
    """An expiry typed in a form or on the command line; ``None`` for none. Must be ahead.

    Read as a deadline is, but each refusal is its own sentence about the ``expires`` field.
    """
    typed = text.strip()
    try:
        when = deadlines.parse(typed)
    except Invalid:
        if len(typed) > deadlines.MAX_LENGTH or not typed.isprintable():
            raise Invalid(
                N_(
                    "expires: not a date; give a date (YYYY-MM-DD, the end of that day UTC) "
                    "or an ISO 8601 date and time such as %(example)s"
                ),
                example=deadlines.EXAMPLE,
            ) from None
        raise Invalid(
            N_(
                "expires: %(text)s is not a date; give a date (YYYY-MM-DD, the end of that "
                "day UTC) or an ISO 8601 date and time such as %(example)s"
            ),
            text=repr(typed),
            example=deadlines.EXAMPLE,
        ) from None
    now = utcnow()
    if when is not None and when <= now:
        raise Invalid(
            N_("expires: %(when)s has already passed (it is now %(now)s); give a later one"),
            when=_show(when),
            now=_show(now),
        )
    return when


def create(
    session: Session,
    *,
    name: str,
    survey: Survey | None = None,
    expires_at: dt.datetime | None = None,
    actor: str = "cli",
) -> str:
    """Store a new key named ``name`` and return the full key; it cannot be shown again.

    ``survey`` limits the key to that study; ``expires_at`` must be in the future.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise Invalid(
            N_plural(
                "name: an API key needs a name of 1 to %(count)s character",
                "name: an API key needs a name of 1 to %(count)s characters",
            ),
            count=MAX_NAME_LENGTH,
        )
    if expires_at is not None:
        deadlines.check_future(_aware(expires_at))  # callers that did not parse it
    full, prefix, digest = new_api_key()
    session.add(
        ApiKey(
            name=name,
            prefix=prefix,
            key_hash=digest,
            survey_id=survey.id if survey else None,
            expires_at=expires_at,
            created_by=actor,
        )
    )
    session.flush()
    record(
        session,
        actor,
        "apikey.create",
        survey.id if survey else None,
        {"key": prefix, "expires": expires_at.isoformat() if expires_at else None},
    )
    return full


def list_keys(session: Session, survey: Survey | None = None) -> list[KeyView]:
    """The keys of ``survey`` (or every key), newest first."""
    query = select(ApiKey, Survey.key).outerjoin(Survey, Survey.id == ApiKey.survey_id)
    if survey is not None:
        query = query.where(ApiKey.survey_id == survey.id)
    rows = session.execute(query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    return [KeyView(key, study) for key, study in rows]


def get_or_raise(session: Session, *, prefix: str, survey: Survey | None = None) -> ApiKey:
    """The key with this prefix (``dk_`` and a full key are accepted too), or ``NotFound``."""
    prefix = prefix.strip()
    prefix = api_key_prefix(prefix) or prefix.removeprefix("dk_")
    query = select(ApiKey).where(ApiKey.prefix == prefix[:16])
    if survey is not None:
        query = query.where(ApiKey.survey_id == survey.id)
    row = session.scalar(query)
    if row is None:
        raise NotFound(N_("no API key has the prefix %(prefix)s"), prefix=repr(prefix[:16]))
    return row


def revoke(session: Session, key: ApiKey, *, actor: str) -> None:
    """Refuse the key from now on; ``Conflict`` if it already is."""
    if key.revoked_at is not None:
        raise Conflict(N_("the API key %(prefix)s was already revoked"), prefix=key.prefix)
    key.revoked_at = utcnow()
    session.flush()
    record(session, actor, "apikey.revoke", key.survey_id, {"key": key.prefix})


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """The live key ``presented`` stands for, or ``None`` (unknown, wrong, revoked, expired)."""
    prefix = api_key_prefix(presented)
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    # Compare even without a row, so an unknown prefix costs the same as a wrong secret.
    matches = constant_time_equal(row.key_hash if row else "0" * 64, hash_token(presented))
    if row is None or not matches or row.revoked_at is not None or expired(row):
        return None
    return row


def _mark_used(transactions: TransactionsDep, key: ApiKey) -> None:
    """Record today as the key's last use, once a day (its own short write: GETs only read)."""
    day = today()
    if key.last_used_on == day:
        return
    with transactions.write() as session:
        session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key.id,
                or_(ApiKey.last_used_on.is_(None), ApiKey.last_used_on < day),
            )
            .values(last_used_on=day)
            .execution_options(synchronize_session=False)
        )


def require_key(
    session: SessionDep,
    transactions: TransactionsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """Dependency: the caller's API key, or 401 with ``WWW-Authenticate: Bearer``."""
    key = authenticate(session, credentials.credentials) if credentials else None
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid API key is required: send 'Authorization: Bearer <key>' "
            "(a revoked or expired key is refused)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    _mark_used(transactions, key)
    return key


CurrentKey = Annotated[ApiKey, Depends(require_key)]
# Router-level dependency: every analyst route needs a key.
AnalystKey = Depends(require_key)


def in_scope(key: ApiKey, survey: Survey) -> bool:
    """Whether ``key`` may read ``survey``."""
    return key.survey_id is None or key.survey_id == survey.id
