"""All tables, imported here so ``SQLModel.metadata`` knows the whole schema (Alembic reads it)."""

from __future__ import annotations

from storage.tables import _naming  # noqa: F401  (must run before the tables)
from storage.tables.delivery import (
    AuditLog,
    CardRef,
    NotificationKey,
    Outbox,
    OutboxLane,
)
from storage.tables.inbox import InboundEvent, InboundStatus, InboxLane
from storage.tables.issues import Issue, IssueDepartment, IssueEntry
from storage.tables.meetings import AgendaItem, Decision, Meeting, MeetingParticipant
from storage.tables.people import Chat, Department, Member, MemberIdentity
from storage.tables.projects import (
    Escalation,
    Phase,
    PlanItem,
    Project,
    ProjectDepartment,
    ProjectRole,
    RaciEntry,
    Task,
    TaskDependency,
    TaskEvent,
)
from storage.tables.requests import ApprovalStep, ResourceRequest

__all__ = [
    "AgendaItem",
    "ApprovalStep",
    "AuditLog",
    "CardRef",
    "Chat",
    "Decision",
    "Department",
    "Escalation",
    "InboundEvent",
    "InboundStatus",
    "InboxLane",
    "Issue",
    "IssueDepartment",
    "IssueEntry",
    "Meeting",
    "MeetingParticipant",
    "Member",
    "MemberIdentity",
    "NotificationKey",
    "Outbox",
    "OutboxLane",
    "Phase",
    "PlanItem",
    "Project",
    "ProjectDepartment",
    "ProjectRole",
    "RaciEntry",
    "ResourceRequest",
    "Task",
    "TaskDependency",
    "TaskEvent",
]
