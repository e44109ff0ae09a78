"""Merging two members into one (``member link``) and splitting an account off again.

A merge moves every reference to the absorbed member onto the kept one: every column with a
foreign key to ``member.id`` in the whole schema (found from the metadata, so tables added
later are covered without touching this module), plus the department leader, which has no
FK. Where a unique key would then hold twice (both were PMs of one project, both wrote in one
group), the absorbed member's duplicate row is dropped: it says nothing the kept row does
not. The absorbed ``Member`` row stays, with ``merged_into_id`` set and no identities.

Both member rows are locked, lowest id first, before anything is read or moved: a second merge
(another replica, the same code twice) waits and then sees the first one's outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Column, Table, and_, delete, exists, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import id_of, lock_id
from storage.tables import Department, Member, MemberIdentity

# Kept from the absorbed member where the kept one has nothing set.
FILLED_FIELDS = (
    "department_id",
    "timezone",
    "locale",
    "delegate_id",
    "preferred_platform",
    "last_platform",
)


def member_references() -> list[Column[int]]:
    """Every column of the schema that points at a member."""
    found: list[Column[int]] = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(
                fk.column.table.name == Member.__tablename__ and fk.column.name == "id"
                for fk in column.foreign_keys
            ):
                found.append(column)
    leader = Department.__table__.c.leader_id  # type: ignore[attr-defined]
    return [*found, leader]


def _unique_keys(table: Table) -> Iterator[list[Column[object]]]:
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", []))
        if constraint.__class__.__name__ == "UniqueConstraint" and columns:
            yield columns
    for index in table.indexes:
        if index.unique and index.dialect_options["postgresql"].get("where") is None:
            yield list(index.columns)


async def lock_pair(session: AsyncSession, first: int, second: int) -> tuple[Member, Member]:
    """Both members, locked in id order (so two merges never wait on each other in a ring)."""
    for member_id in sorted({first, second}):
        await lock_id(session, Member, member_id)
    one, two = await session.get(Member, first), await session.get(Member, second)
    assert one is not None and two is not None
    await session.refresh(one)
    await session.refresh(two)
    return one, two


async def merge(session: AsyncSession, *, keep: Member, absorb: Member) -> None:
    """Fold ``absorb`` into ``keep``. Both must be locked (``lock_pair``) and unmerged."""
    assert keep.id is not None and absorb.id is not None and keep.id != absorb.id
    assert keep.merged_into_id is None and absorb.merged_into_id is None
    for column in member_references():
        await _move(session, column, keep=keep.id, absorb=absorb.id)
    for field in FILLED_FIELDS:
        if getattr(keep, field) is None and getattr(absorb, field) is not None:
            setattr(keep, field, getattr(absorb, field))
    if keep.delegate_id in (keep.id, absorb.id):
        keep.delegate_id = None  # one cannot stand in for oneself
    keep.daily_reminders = keep.daily_reminders or absorb.daily_reminders
    absorb.merged_into_id = keep.id
    absorb.department_id = absorb.delegate_id = None
    absorb.daily_reminders = False
    await session.exec(
        update(Member).where(col(Member.merged_into_id) == absorb.id).values(merged_into_id=keep.id)
    )
    session.add(keep)
    session.add(absorb)
    await session.flush()


async def _move(session: AsyncSession, column: Column[int], *, keep: int, absorb: int) -> None:
    table = column.table
    assert isinstance(table, Table)
    for key in _unique_keys(table):
        if column not in key:
            continue
        others = [c for c in key if c is not column]
        twin = table.alias("twin")
        collides = exists().where(
            twin.c[column.name] == keep, *(twin.c[c.name] == c for c in others)
        )
        await session.exec(delete(table).where(and_(column == absorb, collides)))
    await session.exec(update(table).where(column == absorb).values({column.name: keep}))


async def split_off(
    session: AsyncSession, *, member: Member, identity: MemberIdentity, now: datetime
) -> Member:
    """Give ``identity`` a member of its own again (``member unlink``); everything the
    person owns stays with ``member``. The caller holds ``member``'s lock."""
    alone = Member(
        name=identity.display_name or member.name,
        timezone=member.timezone,
        locale=member.locale,
        created_at=now,
    )
    session.add(alone)
    await session.flush()
    identity.member_id = alone.id  # type: ignore[assignment]
    session.add(identity)
    if member.preferred_platform == identity.platform:
        member.preferred_platform = None
    if (
        member.last_platform == identity.platform
        or len(await identities(session, id_of(member))) < 2
    ):
        member.last_platform = None  # tracked only while the person has several platforms
    session.add(member)
    await session.flush()
    return alone


async def identities(session: AsyncSession, member_id: int) -> list[MemberIdentity]:
    query = select(MemberIdentity).where(MemberIdentity.member_id == member_id)
    return list((await session.exec(query.order_by(col(MemberIdentity.id)))).all())
