"""Check-then-act races on shared rows: commands that arrive at the same moment.

On PostgreSQL the commands are spread over two replicas (two Apps, two engines, one
database), as an operator running two ``concord serve`` does. On SQLite one process is
assumed, so the same commands run concurrently inside one App — its connections still race.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from bot.dates.clock import ManualClock, to_utc
from bot.main import App, build_app
from bot.settings import Settings
from bot.text.messages import ActionEvent, IncomingMessage, Message, Outgoing
from storage.db import is_sqlite, transaction
from storage.delivery import cards
from storage.rows import id_of
from storage.tables import (
    ApprovalStep,
    AuditLog,
    CardRef,
    Chat,
    Department,
    Issue,
    Member,
    MemberIdentity,
    Outbox,
    Project,
    ProjectDepartment,
    ResourceRequest,
)
from tests.console_driver import ConsoleDriver
from tests.request_helpers import SETUP


@pytest.fixture
async def replicas(settings: Settings, clock: ManualClock) -> AsyncIterator[list[App]]:
    """Two replicas on PostgreSQL; on SQLite the one App serves both "replicas"."""
    count = 1 if is_sqlite(settings.database_url) else 2
    apps = [await build_app(settings, clock, migrate=False) for _ in range(count)]
    yield [apps[0], apps[-1]]
    for app in apps:
        await app.close()


def say(user: str, text: str, chat: str = "console") -> IncomingMessage:
    return IncomingMessage(platform="console", chat_id=chat, sender_id=user, text=text)


def replies_text(replies: Sequence[Outgoing]) -> str:
    return "\n".join(r.message.plain_text() for r in replies)


async def count(app: App, model: type[Any], *conditions: Any) -> int:
    async with app.sessions() as session:
        query = select(func.count()).select_from(model).where(*conditions)
        return int((await session.exec(query)).one())


async def spread(replicas: list[App], messages: Sequence[IncomingMessage]) -> list[str]:
    """Every message at once, alternating between the replicas."""
    jobs = [replicas[i % 2].dispatcher.handle_message(m) for i, m in enumerate(messages)]
    return [replies_text(r) for r in await asyncio.gather(*jobs)]


async def warm_up(replicas: list[App]) -> None:
    """Open every pooled connection first, so the race is not decided by connecting."""
    await spread(replicas, [say("alice", "help") for _ in range(10)])


async def test_first_contact_of_a_person_runs_every_command(
    replicas: list[App], clock: ManualClock
) -> None:
    await ConsoleDriver(replicas[0], clock).run(SETUP["en"])
    await warm_up(replicas)
    app = replicas[0]
    for k in range(3):
        person = f"newbie{k}"
        reports = [say(person, f'issue report "Leak {k}.{i}" urgency:low') for i in range(10)]

        replies = await spread(replicas, reports)

        assert all("Reported I" in r for r in replies), replies
        identity = MemberIdentity.external_id == person
        assert await count(app, MemberIdentity, identity) == 1
        assert await count(app, Member, Member.name == person) == 1
        async with app.sessions() as session:
            newbie = (await session.exec(select(MemberIdentity).where(identity))).one()
            query = select(Issue.title).where(Issue.reporter_id == newbie.member_id)
            titles = (await session.exec(query)).all()
        assert sorted(titles) == sorted(f"Leak {k}.{i}" for i in range(10))


async def test_first_contact_of_a_chat_runs_every_command(
    replicas: list[App], clock: ManualClock
) -> None:
    await ConsoleDriver(replicas[0], clock).run(SETUP["en"])
    await warm_up(replicas)
    app = replicas[0]
    for k in range(3):
        group = f"fresh-group-{k}"
        news = [say("alice", f'project new "Side {k}.{i}"', chat=group) for i in range(10)]

        replies = await spread(replicas, news)

        assert all("Created project" in r for r in replies), replies
        assert await count(app, Chat, Chat.external_id == group) == 1
        side = col(Project.name).startswith(f"Side {k}.")
        assert await count(app, Project, side) == 10


async def test_first_mentions_of_a_department_and_a_link_run_every_command(
    replicas: list[App], clock: ManualClock
) -> None:
    """``depts:`` creates a department on first mention and links it to the project."""
    await ConsoleDriver(replicas[0], clock).run(SETUP["en"])
    await warm_up(replicas)
    app = replicas[0]
    for k in range(3):
        edits = [say("alice", f"project edit depts:Legal{k}") for _ in range(6)]

        replies = await spread(replicas, edits)

        assert all("went wrong" not in r for r in replies), replies
        assert await count(app, Department, Department.name == f"Legal{k}") == 1
        assert await count(app, ProjectDepartment) == 3 + k  # Engineering, Finance, Legal…


REF = re.compile(r"\bR(\d+)\b")


async def requester_notices(app: App, requester_id: int, number: int) -> int:
    """Outbox messages to the requester about request ``number``."""
    async with app.sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.member_id == requester_id))).all()
    texts = [Message.from_json(row.payload).plain_text() for row in rows]
    return sum(1 for text in texts if str(number) in REF.findall(text))


async def test_a_double_click_decides_an_approval_step_once(
    replicas: list[App], clock: ManualClock
) -> None:
    console = ConsoleDriver(replicas[0], clock)
    await console.run(SETUP["en"])
    app = replicas[0]
    async with app.sessions() as session:
        carol = (await session.exec(select(Member).where(Member.name == "carol"))).one()
    for n in range(1, 21):
        await console.run(f"""
            :as carol
            request new material "Booth {n}" from:12-01 to:12-02 purpose:"Fair" return:"Back"
        """)
        async with app.sessions() as session:
            request = (
                await session.exec(select(ResourceRequest).where(ResourceRequest.number == n))
            ).one()
            step = (
                await session.exec(
                    select(ApprovalStep).where(
                        ApprovalStep.subject_id == request.id, ApprovalStep.status == "pending"
                    )
                )
            ).one()
        before = await requester_notices(app, id_of(carol), n)
        click = ActionEvent(
            platform="console",
            chat_id="console",
            sender_id="bob",
            action="approval.approve",
            value=str(step.id),
        )
        replies = await asyncio.gather(*(r.dispatcher.handle_action(click) for r in replicas))

        texts = [replies_text(r) for r in replies]
        assert sum("already decided" in t for t in texts) == 1, texts
        assert all("went wrong" not in t for t in texts), texts
        decisions = AuditLog.entity_id == step.id, AuditLog.action == "approval.approve"
        assert await count(app, AuditLog, *decisions) == 1
        assert await requester_notices(app, id_of(carol), n) == before + 1
        async with app.sessions() as session:
            decided = await session.get(ApprovalStep, step.id)
            assert decided is not None and decided.status == "approved"
            assert decided.decided_by is not None


async def test_sign_offs_at_once_approve_the_charter_once(
    replicas: list[App], clock: ManualClock
) -> None:
    """Each leader's click alone sees the other step still open; the charter must still
    end approved, announced once."""
    console = ConsoleDriver(replicas[0], clock)
    await console.run(SETUP["en"])
    app = replicas[0]
    for k in range(5):
        await console.run(f"""
            :in charter-{k}
            :as alice
            project new "Charter {k}" depts:Engineering,Finance
            project charter
        """)
        async with app.sessions() as session:
            project = (
                await session.exec(select(Project).where(Project.name == f"Charter {k}"))
            ).one()
            query = select(ApprovalStep).where(
                ApprovalStep.subject_type == "charter", ApprovalStep.subject_id == project.id
            )
            steps = (await session.exec(query.order_by(col(ApprovalStep.position)))).all()
        leaders = {"Engineering": "bob", "Finance": "erin"}
        async with app.sessions() as session:
            names = {d.id: d.name for d in (await session.exec(select(Department))).all()}
        clicks = [
            ActionEvent(
                platform="console",
                chat_id=f"charter-{k}",
                sender_id=leaders[names[step.department_id or 0]],
                action="approval.approve",
                value=str(step.id),
            )
            for step in steps
        ]
        replies = await asyncio.gather(
            *(replicas[i % 2].dispatcher.handle_action(c) for i, c in enumerate(clicks))
        )

        assert all("went wrong" not in replies_text(r) for r in replies), replies
        async with app.sessions() as session:
            signed = await session.get(Project, project.id)
            assert signed is not None and signed.charter_status == "approved"
        approved = AuditLog.entity_id == project.id, AuditLog.action == "charter.approved"
        assert await count(app, AuditLog, *approved) == 1


async def record_place(app: App, clock: ManualClock, message_id: str) -> None:
    async with transaction(app.sessions) as session:
        await cards.record_card(
            session,
            card_key="request:7",
            platform="slack",
            chat_external_id="C1",
            message_id=message_id,
            now=to_utc(clock.now()),
        )


async def lock_waiters(app: App) -> int:
    """PostgreSQL backends of this database waiting for a lock another one holds."""
    async with app.sessions() as session:
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int((await session.exec(query)).one()[0])


async def test_replicas_recording_one_card_place_keep_one_reference(
    replicas: list[App], clock: ManualClock
) -> None:
    """The second replica's record waits on the first one's uncommitted row, then moves the
    reference to its own message instead of failing on the unique key."""
    first, second = replicas
    async with transaction(first.sessions) as session:
        await cards.record_card(
            session,
            card_key="request:7",
            platform="slack",
            chat_external_id="C1",
            message_id="m1",
            now=to_utc(clock.now()),
        )
        late = asyncio.create_task(record_place(second, clock, "m2"))
        if is_sqlite(first.settings.database_url):
            await asyncio.sleep(0)  # one writer at a time: the second waits for BEGIN
        else:
            for _ in range(1000):
                if await lock_waiters(first):
                    break
            assert await lock_waiters(first) == 1
    await late

    async with first.sessions() as session:
        refs = (await session.exec(select(CardRef.message_id))).all()
    assert refs == ["m2"]
