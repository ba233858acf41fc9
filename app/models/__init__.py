"""ORM models, one module per aggregate, re-exported here."""

from app.models.access import ApiKey, AuditLog, Facilitator
from app.models.base import Base
from app.models.outbox import Outbox, OutboxState
from app.models.panel import Panelist, Respondent
from app.models.plan import AnalysisPlan, PlanAmendment
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
    CriterionKind,
    Statement,
    StatementOrigin,
    StatementState,
    Survey,
    SurveyMode,
    SurveyState,
    Topic,
    statement_parent,
)
from app.models.team import AccountToken, Membership, Role, TokenPurpose

__all__ = [
    "AccessLink",
    "AccountToken",
    "AnalysisPlan",
    "AnswerRevision",
    "ApiKey",
    "AuditLog",
    "Base",
    "Criterion",
    "CriterionKind",
    "Endorsement",
    "Facilitator",
    "HiddenCause",
    "JobState",
    "Membership",
    "Outbox",
    "OutboxState",
    "Panelist",
    "PlanAmendment",
    "Proposal",
    "ProposalState",
    "Reason",
    "Respondent",
    "Response",
    "Role",
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
    "TokenPurpose",
    "Topic",
    "statement_parent",
]
