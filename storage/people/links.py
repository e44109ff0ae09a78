"""One-time codes of ``member link``, the groups' own people, and each person's last platform.

A code is stored only as its SHA-256 (``code_hash``, unique): the database never holds a
code that would link an account. A member has at most one live code: starting again
retires the previous one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import insert_absent
from storage.tables import AuditLog, ChatMember, LinkCode, Member, MemberIdentity

FAILED_ACTION = "member.link_failed"


async def start_code(
    session: AsyncSession,
    *,
    member_id: int,
    platform: str,
    external_id: str,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> LinkCode:
    await session.exec(
        update(LinkCode)
        .where(
            col(LinkCode.member_id) == member_id,
            col(LinkCode.used_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
        .values(expires_at=now)
    )
    code = LinkCode(
        member_id=member_id,
        platform=platform,
        external_id=external_id,
        code_hash=code_hash,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(code)
    await session.flush()
    return code


async def live_code(session: AsyncSession, *, code_hash: str, now: datetime) -> LinkCode | None:
    """The unused, unexpired code with this hash, locked until commit (used once)."""
    query = (
        select(LinkCode)
        .where(
            LinkCode.code_hash == code_hash,
            col(LinkCode.used_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
        .with_for_update()
    )
    return (await session.exec(query)).first()


async def recent_failures(session: AsyncSession, *, member_id: int, since: datetime) -> int:
    """Wrong or expired codes this member typed since ``since`` (from the audit log)."""
    query = select(func.count()).where(
        AuditLog.actor_id == member_id,
        AuditLog.action == FAILED_ACTION,
        col(AuditLog.at) >= since,
    )
    return int((await session.exec(query)).one())


async def identity_of(
    session: AsyncSession, *, platform: str, external_id: str
) -> MemberIdentity | None:
    query = select(MemberIdentity).where(
        MemberIdentity.platform == platform, MemberIdentity.external_id == external_id
    )
    return (await session.exec(query)).first()


async def note_speaker(
    session: AsyncSession, *, member: Member, platform: str, chat_id: int | None, now: datetime
) -> None:
    """``member`` just wrote from ``platform`` (in group ``chat_id``): remember where they
    were last seen, and that they are one of that group's people. Writes only on change.

    The last platform matters only to people on several platforms: it is tracked from the
    moment of linking (``last_platform`` set), never written for anyone else."""
    if member.last_platform is not None and member.last_platform != platform:
        member.last_platform = platform
        session.add(member)
    if chat_id is None or member.id is None:
        return
    known = select(ChatMember.id).where(
        ChatMember.chat_id == chat_id, ChatMember.member_id == member.id
    )
    if (await session.exec(known)).first() is None:
        await insert_absent(
            session, ChatMember(chat_id=chat_id, member_id=member.id, first_seen_at=now)
        )


async def people_of_chats(session: AsyncSession, chat_ids: set[int]) -> dict[int, set[int]]:
    """``chat id → member ids`` of the people who have written in each group."""
    out: dict[int, set[int]] = {chat_id: set() for chat_id in chat_ids}
    if not chat_ids:
        return out
    query = select(ChatMember).where(col(ChatMember.chat_id).in_(chat_ids))
    for row in (await session.exec(query)).all():
        out[row.chat_id].add(row.member_id)
    return out
