"""Resource requests and the approval steps shared with project charter sign-off."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class RequestKind(StrEnum):
    PEOPLE = "people"
    MATERIAL = "material"
    BUDGET = "budget"


class RequestStatus(StrEnum):
    PENDING = "pending"  # in its approval chain
    SUGGESTED = "suggested"  # an approver proposed changes; the requester decides
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    RECEIVED = "received"  # the requester has the resource
    RETURNED = "returned"  # given back, waiting for the owner to confirm
    CLOSED = "closed"


class ApprovalStatus(StrEnum):
    """One approval step's state."""

    WAITING = "waiting"  # an earlier step decides first
    PENDING = "pending"  # the approver's turn
    APPROVED = "approved"
    AUTO = "auto"  # passed without a decision (``approval_chain.is_automatic``)
    REJECTED = "rejected"
    SUGGESTED = "suggested"  # approved with changes, the requester decides
    ADJUSTED = "adjusted"  # the requester accepted the suggestion
    CANCELLED = "cancelled"  # the chain ended elsewhere


class ResourceRequest(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    requester_id: int = Field(foreign_key="member.id", index=True)
    requester_department_id: int | None = Field(default=None, foreign_key="department.id")
    kind: str = Field(max_length=10)  # a RequestKind
    description: str
    # A people request may name the person (``@grace``): conflicts are checked on them.
    resource_member_id: int | None = Field(default=None, foreign_key="member.id")
    quantity: str | None = Field(default=None, max_length=100)
    amount: Decimal | None = Field(default=None, sa_type=Numeric(16, 2))
    currency: str | None = Field(default=None, max_length=3)
    window_start: datetime | None = None
    window_end: datetime | None = None
    purpose: str | None = None
    return_method: str | None = None
    owner_department_id: int | None = Field(default=None, foreign_key="department.id")
    status: str = Field(default=RequestStatus.PENDING, max_length=20)
    suggestion: str | None = None
    received_at: datetime | None = None
    return_evidence: str | None = None
    returned_at: datetime | None = None
    return_reminded_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ApprovalStep(SQLModel, table=True):
    """One approver's step in a chain; ``subject_type`` is ``request`` or ``charter``."""

    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "position"),
        Index(
            "ix_approvalstep_pending_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    subject_type: str = Field(max_length=10)
    subject_id: int
    round: int = 1  # a charter sent again after a rejection starts a new round
    position: int
    rule: str = Field(max_length=30)  # requester_leader / owner_department / threshold / charter
    approver_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    status: str = Field(default=ApprovalStatus.WAITING, max_length=12)
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    decided_at: datetime | None = None
    reason: str | None = None
    suggestion: str | None = None
    proposal: str | None = None  # JSON of the field changes a suggestion carries
    conflicts: str | None = None  # comma-separated ids of conflicting approved requests
    started_at: datetime | None = None
    due_at: datetime | None = None
    created_at: datetime
