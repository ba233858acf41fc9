"""Finding studies: without the definition parser (YAML, pydantic schemas) that
``app.studies.service`` loads, so that ``delphi survey list`` starts quickly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import N_, NotFound
from app.models import Survey


def get_by_key(session: Session, key: str) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.key == key))


def get_by_key_or_raise(session: Session, key: str) -> Survey:
    survey = get_by_key(session, key)
    if survey is None:
        raise NotFound(N_("no study with key %(key)r"), key=key)
    return survey


def list_all(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.created_at, Survey.id)))
