"""Members, identities, departments and chats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import insert_absent, saved_id
from storage.tables import Chat, Department, Member, MemberIdentity


async def member_by_account(
    session: AsyncSession, *, platform: str, external_id: str
) -> Member | None:
    query = (
        select(Member)
        .join(MemberIdentity, col(MemberIdentity.member_id) == Member.id)
        .where(MemberIdentity.platform == platform, MemberIdentity.external_id == external_id)
    )
    return (await session.exec(query)).first()


async def ensure_member(
    session: AsyncSession, *, platform: str, external_id: str, name: str | None, now: datetime
) -> tuple[Member, bool]:
    """The member behind a platform account, created on first sight. Returns (member, created).

    Two replicas may meet a new person at the same moment: the identity's unique key picks
    one member, the other replica drops the member it had just made and takes the winner.
    """
    member = await member_by_account(session, platform=platform, external_id=external_id)
    if member is not None:
        return member, False
    member = Member(name=name or external_id, created_at=now)
    session.add(member)
    identity = MemberIdentity(
        member_id=await saved_id(session, member),
        platform=platform,
        external_id=external_id,
        display_name=name,
    )
    if await insert_absent(session, identity) is not None:
        return member, True
    await session.delete(member)
    await session.flush()
    winner = await member_by_account(session, platform=platform, external_id=external_id)
    assert winner is not None  # the conflicting identity is committed, or we would not be here
    return winner, False


async def members_by_name(session: AsyncSession, name: str) -> Sequence[Member]:
    query = (
        select(Member)
        .where(func.lower(Member.name) == name.lower(), col(Member.merged_into_id).is_(None))
        .order_by(col(Member.id))
    )
    return (await session.exec(query)).all()


async def namesakes(session: AsyncSession, names: set[str]) -> dict[str, list[int]]:
    """``name → ids`` of the (unmerged) members called exactly that, for names that more
    than one member carries."""
    if not names:
        return {}
    query = select(Member.id, Member.name).where(
        col(Member.name).in_(names), col(Member.merged_into_id).is_(None)
    )
    found: dict[str, list[int]] = {}
    for member_id, name in (await session.exec(query)).all():
        if member_id is not None:
            found.setdefault(name, []).append(member_id)
    return {name: sorted(ids) for name, ids in found.items() if len(ids) > 1}


async def get_member(session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def members_by_ids(session: AsyncSession, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = (await session.exec(select(Member).where(col(Member.id).in_(ids)))).all()
    return {m.id: m for m in rows if m.id is not None}


async def accounts_of(session: AsyncSession, member_ids: set[int]) -> dict[int, dict[str, str]]:
    """``member id → {platform: external id}`` for rendering mentions."""
    if not member_ids:
        return {}
    query = select(MemberIdentity).where(col(MemberIdentity.member_id).in_(member_ids))
    out: dict[int, dict[str, str]] = {mid: {} for mid in member_ids}
    for identity in (await session.exec(query)).all():
        out[identity.member_id].setdefault(identity.platform, identity.external_id)
    return out


async def department_by_name(session: AsyncSession, name: str) -> Department | None:
    query = select(Department).where(func.lower(Department.name) == name.strip().lower())
    return (await session.exec(query)).first()


async def departments(session: AsyncSession) -> Sequence[Department]:
    return (await session.exec(select(Department).order_by(col(Department.name)))).all()


async def departments_by_ids(session: AsyncSession, ids: set[int]) -> dict[int, Department]:
    if not ids:
        return {}
    rows = (await session.exec(select(Department).where(col(Department.id).in_(ids)))).all()
    return {d.id: d for d in rows if d.id is not None}


async def department_members(session: AsyncSession, department_id: int) -> Sequence[Member]:
    query = (
        select(Member)
        .where(Member.department_id == department_id, col(Member.merged_into_id).is_(None))
        .order_by(col(Member.name))
    )
    return (await session.exec(query)).all()


async def chat_by_account(session: AsyncSession, *, platform: str, external_id: str) -> Chat | None:
    query = select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
    return (await session.exec(query)).first()


async def ensure_chat(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    name: str | None,
    is_direct: bool,
    now: datetime,
) -> Chat:
    """The chat, created on first sight (by whichever replica gets there first)."""
    query = select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
    chat = (await session.exec(query)).first()
    if chat is None:
        first = Chat(
            platform=platform,
            external_id=external_id,
            name=name or external_id,
            is_direct=is_direct,
            created_at=now,
        )
        await insert_absent(session, first)
        chat = (await session.exec(query)).one()
    return chat


async def ensure_department(
    session: AsyncSession, *, name: str, now: datetime
) -> tuple[Department, bool]:
    """The department called ``name`` (any case), created on first mention. Returns
    (department, created); a department another replica creates at once is taken as found."""
    department = await department_by_name(session, name)
    if department is not None:
        return department, False
    created = await insert_absent(session, Department(name=name, created_at=now))
    department = await department_by_name(session, name)
    assert department is not None
    return department, created is not None


async def chats_of_project(session: AsyncSession, project_id: int) -> Sequence[Chat]:
    query = select(Chat).where(Chat.project_id == project_id).order_by(col(Chat.id))
    return (await session.exec(query)).all()


async def direct_chat(session: AsyncSession, *, member_id: int, platform: str) -> Chat | None:
    """A member's known DM chat on ``platform`` (its id is the member's account id)."""
    query = (
        select(Chat)
        .join(MemberIdentity, col(MemberIdentity.external_id) == Chat.external_id)
        .where(
            Chat.is_direct,
            Chat.platform == platform,
            MemberIdentity.platform == platform,
            MemberIdentity.member_id == member_id,
        )
    )
    return (await session.exec(query)).first()


async def is_linked(session: AsyncSession, member: Member) -> bool:
    """Whether the member has accounts on more than one platform (``member link``)."""
    query = select(func.count(func.distinct(MemberIdentity.platform))).where(
        MemberIdentity.member_id == member.id
    )
    return int((await session.exec(query)).one()) > 1


async def rename_account(
    session: AsyncSession, *, platform: str, external_id: str, name: str
) -> None:
    await session.exec(
        update(MemberIdentity)
        .where(
            col(MemberIdentity.platform) == platform,
            col(MemberIdentity.external_id) == external_id,
        )
        .values(display_name=name)
    )
