"""Queue an email: a row in the caller's transaction, sent later by the worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import Outbox
from app.security import seal


def enqueue(
    session: Session,
    *,
    kind: str,
    to_address: str,
    language: str,
    template: str,
    context: dict[str, Any],
    link: str | None = None,
) -> Outbox:
    """Add an outbox row; ``link`` (a bearer URL) is stored sealed, never in clear."""
    row = Outbox(
        kind=kind,
        to_address=to_address,
        language=language,
        template=template,
        context=context,
        secret=seal(link) if link else None,
    )
    session.add(row)
    return row
