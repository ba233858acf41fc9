"""ORM models, one module per aggregate, re-exported here."""

from app.models.access import ApiKey, AuditLog, Facilitator
from app.models.base import Base
from app.models.outbox import Outbox, OutboxState
from app.models.panel import Panelist, Respondent
from app.models.round import (
    AccessLink,
    Reason,
    Response,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Submission,
)
from app.models.schedule import JobState, ScheduledReminder
from app.models.suggestion import Suggestion, SuggestionState
from app.models.survey import (
    Criterion,
    Statement,
    StatementOrigin,
    StatementState,
    Survey,
    SurveyState,
    Topic,
)

__all__ = [
    "AccessLink",
    "ApiKey",
    "AuditLog",
    "Base",
    "Criterion",
    "Facilitator",
    "JobState",
    "Outbox",
    "OutboxState",
    "Panelist",
    "Reason",
    "Respondent",
    "Response",
    "Round",
    "RoundItem",
    "RoundSnapshot",
    "RoundState",
    "ScheduledReminder",
    "Statement",
    "StatementOrigin",
    "StatementState",
    "Submission",
    "Suggestion",
    "SuggestionState",
    "Survey",
    "SurveyState",
    "Topic",
]
