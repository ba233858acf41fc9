"""ORM models, one module per aggregate, re-exported here."""

from app.models.access import ApiKey, AuditLog, Facilitator
from app.models.base import Base
from app.models.outbox import Outbox, OutboxState
from app.models.panel import Panelist, Respondent
from app.models.proposal import Proposal, ProposalState
from app.models.round import (
    AccessLink,
    AnswerRevision,
    Endorsement,
    HiddenCause,
    Reason,
    Response,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Submission,
)
from app.models.schedule import JobState, ScheduledReminder
from app.models.survey import (
    Criterion,
    Statement,
    StatementOrigin,
    StatementState,
    Survey,
    SurveyMode,
    SurveyState,
    Topic,
    statement_parent,
)

__all__ = [
    "AccessLink",
    "AnswerRevision",
    "ApiKey",
    "AuditLog",
    "Base",
    "Criterion",
    "Endorsement",
    "Facilitator",
    "HiddenCause",
    "JobState",
    "Outbox",
    "OutboxState",
    "Panelist",
    "Proposal",
    "ProposalState",
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
    "Survey",
    "SurveyMode",
    "SurveyState",
    "Topic",
    "statement_parent",
]
