"""The audit trail: who did what to which study. Never ratings or personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditLog


def record(
    session: Session,
    actor: str,
    action: str,
    survey_id: int | None,
    detail: dict[str, Any] | None = None,
    *,
    facilitator_id: int | None = None,
) -> None:
    """Add an audit row in the caller's transaction."""
    session.add(
        AuditLog(
            actor=actor,
            facilitator_id=facilitator_id,
            survey_id=survey_id,
            action=action,
            detail=detail or {},
        )
    )
