"""The audit page of a study: who did what and when, from the audit log.

Only what an action was done to is shown, by a fixed list of detail fields (round
numbers, statement labels, counts, roles); nothing about ratings or reasons is ever
written to the log, and this list keeps it that way should a detail field be added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Facilitator, Survey

PAGE_SIZE = 200
SHOWN_DETAILS = (
    "round",
    "statement",
    "added",
    "reminded",
    "retried",
    "changed",
    "cause",
    "role",
    "member",
    "key",
    "expires",
)


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    actor: str
    action: str
    details: list[tuple[str, str]]


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def entries(session: Session, survey: Survey) -> list[Entry]:
    """The study's latest ``PAGE_SIZE`` audit entries, newest first."""
    query = (
        select(AuditLog, Facilitator.email)
        .outerjoin(Facilitator, Facilitator.id == AuditLog.detail["member"].as_integer())
        .where(AuditLog.survey_id == survey.id)
    )
    rows = session.execute(query.order_by(AuditLog.id.desc()).limit(PAGE_SIZE))
    result = []
    for row, member_email in rows:
        details = [
            (name, member_email if name == "member" and member_email else _shown(value))
            for name in SHOWN_DETAILS
            if (value := row.detail.get(name)) is not None
        ]
        result.append(Entry(at=row.at, actor=row.actor, action=row.action, details=details))
    return result
