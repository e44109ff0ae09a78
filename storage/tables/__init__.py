"""All tables, imported here so ``SQLModel.metadata`` knows the whole schema (Alembic reads it)."""

from __future__ import annotations

from storage.tables import _naming  # noqa: F401  (must run before the tables)
from storage.tables.audit import AuditLog
from storage.tables.cards import CardRef
from storage.tables.inbox import InboundEvent, InboundStatus, InboxLane
from storage.tables.issues import (
    Issue,
    IssueDepartment,
    IssueEntry,
    IssueRole,
    IssueStatus,
    Urgency,
)
from storage.tables.ledger import NotificationKey
from storage.tables.meetings import (
    AgendaItem,
    Decision,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
)
from storage.tables.outbox import Outbox, OutboxKind, OutboxLane, OutboxStatus
from storage.tables.people import (
    Chat,
    ChatMember,
    Department,
    LinkCode,
    Member,
    MemberIdentity,
)
from storage.tables.projects import (
    CharterStatus,
    Escalation,
    EscalationStatus,
    Phase,
    PlanItem,
    Project,
    ProjectDepartment,
    ProjectRole,
    ProjectStatus,
    RaciEntry,
    Task,
    TaskDependency,
    TaskEvent,
    TaskStatus,
)
from storage.tables.requests import (
    ApprovalStatus,
    ApprovalStep,
    RequestKind,
    RequestStatus,
    ResourceRequest,
)

__all__ = [
    "AgendaItem",
    "ApprovalStatus",
    "ApprovalStep",
    "AuditLog",
    "CardRef",
    "CharterStatus",
    "Chat",
    "ChatMember",
    "Decision",
    "Department",
    "Escalation",
    "EscalationStatus",
    "InboundEvent",
    "InboundStatus",
    "InboxLane",
    "Issue",
    "IssueDepartment",
    "IssueEntry",
    "IssueRole",
    "IssueStatus",
    "LinkCode",
    "Meeting",
    "MeetingParticipant",
    "MeetingStatus",
    "Member",
    "MemberIdentity",
    "NotificationKey",
    "Outbox",
    "OutboxKind",
    "OutboxLane",
    "OutboxStatus",
    "Phase",
    "PlanItem",
    "Project",
    "ProjectDepartment",
    "ProjectRole",
    "ProjectStatus",
    "RaciEntry",
    "RequestKind",
    "RequestStatus",
    "ResourceRequest",
    "Task",
    "TaskDependency",
    "TaskEvent",
    "TaskStatus",
    "Urgency",
]
