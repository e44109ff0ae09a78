"""All tables, imported here so ``SQLModel.metadata`` knows the whole schema (Alembic reads it)."""

from __future__ import annotations

from storage.audit.tables import AuditLog
from storage.delivery.card_tables import CardRef
from storage.delivery.ledger_tables import NotificationKey
from storage.delivery.outbox_tables import Outbox, OutboxFile, OutboxKind, OutboxLane, OutboxStatus
from storage.escalations.tables import Escalation, EscalationStatus
from storage.inbox.tables import InboundEvent, InboundStatus, InboxLane
from storage.issues.tables import (
    Issue,
    IssueDepartment,
    IssueEntry,
    IssueRole,
    IssueStatus,
    Urgency,
)
from storage.meetings.tables import AgendaItem, Decision, Meeting, MeetingParticipant, MeetingStatus
from storage.people.tables import (
    Chat,
    ChatMember,
    Department,
    LinkCode,
    Member,
    MemberIdentity,
)
from storage.plans.tables import PlanItem
from storage.projects.tables import (
    CharterStatus,
    Phase,
    Project,
    ProjectDepartment,
    ProjectRole,
    ProjectStatus,
)
from storage.requests.tables import (
    ApprovalStatus,
    ApprovalStep,
    RequestKind,
    RequestStatus,
    ResourceRequest,
)
from storage.tasks.tables import RaciEntry, Task, TaskDependency, TaskEvent, TaskStatus

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
    "OutboxFile",
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
