"""The durable inbound port: stored before the acknowledgement, run once, in order per chat,
with the command, its replies and the processed mark in one transaction."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.dates.clock import ManualClock
from bot.inbound.inbox import Inbox, InboxClosed, StoreUnavailable
from bot.main import App
from bot.text.messages import IncomingMessage
from storage import single_process
from storage.db import transaction
from storage.tables import InboundEvent, Outbox, Project, Task
from tests.fakes.platform import FakePlatform


def say(
    text: str, *, user: str = "pm", chat: str = "g1", event_id: str | None = None
) -> IncomingMessage:
    return IncomingMessage(
        platform="console",
        chat_id=chat,
        sender_id=user,
        sender_name=user,
        chat_name=chat,
        text=text,
        event_id=event_id,
    )


async def stored(app: App) -> list[InboundEvent]:
    async with transaction(app.sessions) as session:
        query = select(InboundEvent).order_by(col(InboundEvent.id))
        return list((await session.exec(query)).all())


async def outbox(app: App) -> list[Outbox]:
    async with transaction(app.sessions) as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


def texts(rows: list[Outbox]) -> list[str]:
    from bot.text.messages import Message

    return [Message.from_json(row.payload).plain_text() for row in rows]


async def test_an_event_is_stored_before_it_runs_and_runs_once(app: App) -> None:
    receipt = await app.inbox.receive(say('project new "Apollo"', event_id="e1"))
    assert not receipt.duplicate
    [row] = await stored(app)
    assert (row.status, row.event_id) == ("pending", "e1")
    assert await outbox(app) == []  # nothing ran yet: only the insert happened

    again = await app.inbox.receive(say('project new "Apollo"', event_id="e1"))
    assert again.duplicate
    assert await app.inbox.drain() == 1
    [row] = await stored(app)
    assert row.status == "done" and row.processed_at is not None
    [reply] = await outbox(app)
    assert reply.reply_to == "e1"
    assert "Apollo" in texts([reply])[0]
    assert await app.inbox.drain() == 0


async def test_a_chats_events_run_in_the_order_they_arrived(app: App) -> None:
    await app.inbox.receive(say('project new "Apollo"'))
    for n in range(1, 8):
        await app.inbox.receive(say(f'task add "Step {n}"'))
    await app.inbox.receive(say('project new "Other"', chat="g2"))
    assert await app.inbox.drain() == 9
    async with transaction(app.sessions) as session:
        tasks = (await session.exec(select(Task).order_by(col(Task.number)))).all()
        projects = (await session.exec(select(Project))).all()
    assert [t.title for t in tasks] == [f"Step {n}" for n in range(1, 8)]
    assert sorted(p.name for p in projects) == ["Apollo", "Other"]


async def test_a_refused_command_is_answered_privately_and_marked_done(app: App) -> None:
    await app.inbox.receive(say("task add Nothing to add it to", user="newcomer"))
    await app.inbox.drain()
    [row] = await stored(app)
    assert row.status == "done"
    [answer] = await outbox(app)
    assert (answer.kind, answer.account_id, answer.member_id) == ("ephemeral", "newcomer", None)


async def test_a_command_that_raises_is_marked_failed_and_the_user_gets_a_reference(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx: object, text: str) -> None:
        raise RuntimeError("a bug")

    app.inbox.dispatcher.router.run_text = broken  # type: ignore[method-assign]
    await app.inbox.receive(say("board"))
    await app.inbox.drain()
    [row] = await stored(app)
    assert row.status == "failed" and row.last_error
    [answer] = await outbox(app)
    assert f"ref {row.last_error}" in texts([answer])[0]
    assert "command failed (ref" in caplog.text


async def test_private_verbs_answer_only_the_speaker(app: App) -> None:
    await app.inbox.receive(say("help"))
    await app.inbox.receive(say('project new "Apollo"'))
    await app.inbox.receive(say("my"))
    await app.inbox.drain()
    kinds = [row.kind for row in await outbox(app)]
    assert kinds == ["ephemeral", "send", "ephemeral"]


async def test_an_answer_given_inside_the_request_is_not_sent_again(
    app: App, clock: ManualClock
) -> None:
    fake = FakePlatform("console", clock)
    app.deliver_through({"console": fake})
    app.inbox.start()
    try:
        receipt = await app.inbox.receive(say('project new "Apollo"'), wants_answer=True)
        answer = await app.inbox.answer(receipt, timeout=5)
        assert answer is not None and not answer.failed
        assert "Apollo" in answer.replies[0].message.plain_text()
        await app.inbox.answered(answer)
    finally:
        await app.inbox.stop(grace=5)
    await app.deliver()
    assert fake.deliveries == []  # the adapter answered it in its HTTP response
    [row] = await outbox(app)
    assert row.status == "sent"


async def test_an_answer_not_taken_in_time_goes_out_through_the_outbox(
    app: App, clock: ManualClock
) -> None:
    fake = FakePlatform("console", clock)
    app.deliver_through({"console": fake})
    receipt = await app.inbox.receive(say('project new "Apollo"'), wants_answer=True)
    assert await app.inbox.answer(receipt, timeout=0.01) is None  # no worker ran it in time
    await app.settle()
    assert len(fake.deliveries) == 1


async def test_a_graceful_stop_refuses_new_events_and_keeps_what_is_stored(app: App) -> None:
    for n in range(3):
        await app.inbox.receive(say(f'project new "P{n}"', chat=f"g{n}"))
    left = await app.inbox.stop(grace=1)
    assert left == 3  # never started: everything stays stored for the next start
    with pytest.raises(InboxClosed):
        await app.inbox.receive(say("board"))


async def test_an_unreachable_store_is_reported_once_per_outage(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await _unreachable_inbox(app)
    caplog.set_level(logging.ERROR, logger="concord.inbox")
    for _ in range(20):
        with pytest.raises(StoreUnavailable):
            await broken.receive(say("board"))
    outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_lines) == 1
    assert outage_lines[0].exc_info is None  # a line, not a traceback


async def _unreachable_inbox(app: App) -> Inbox:
    from bot.settings import InboxSettings
    from storage import db

    engine = db.create_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 1}
    )
    return Inbox(
        sessions=db.session_factory(engine),
        dispatcher=app.dispatcher,
        clock=app.clock,
        settings=InboxSettings(store_timeout_seconds=2.0),
    )


async def test_workers_run_chats_side_by_side_and_each_chat_in_order(app: App) -> None:
    app.inbox.concurrency = 3
    ran = asyncio.Event()
    app.inbox.on_processed = ran.set
    app.inbox.start()
    try:
        for chat in ("a", "b", "c"):
            await app.inbox.receive(say(f'project new "{chat}"', chat=chat))
        for n in range(5):
            for chat in ("a", "b", "c"):
                await app.inbox.receive(say(f'task add "{chat}{n}"', chat=chat))
        async with asyncio.timeout(60):
            while await app.inbox.pending():
                await ran.wait()
                ran.clear()
    finally:
        await app.inbox.stop(grace=5)
    async with transaction(app.sessions) as session:
        tasks = (await session.exec(select(Task).order_by(col(Task.id)))).all()
    for chat in ("a", "b", "c"):
        assert [t.title for t in tasks if t.title.startswith(chat)] == [
            f"{chat}{n}" for n in range(5)
        ]


def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'concord.db'}"
    lock = single_process.acquire(url)
    try:
        probe = (
            "import sys\n"
            "from storage import single_process\n"
            "try:\n"
            f"    single_process.acquire({url!r})\n"
            "except single_process.DatabaseInUse as error:\n"
            "    print(error); sys.exit(3)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=False
        )
        assert result.returncode == 3, result.stderr
        assert "Another Concord process" in result.stdout
        assert "PostgreSQL" in result.stdout
    finally:
        single_process.release(lock)
    again = single_process.acquire(url)  # released: the next start may take it
    single_process.release(again)
