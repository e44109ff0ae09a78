"""The delivery worker: per-chat order, per-chat and per-app rate limits, card updates."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlmodel import select

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from bot.outbound.delivery import Deliverer
from bot.settings import RateLimit, Settings
from bot.text.render import text_message
from storage.db import transaction
from storage.delivery import outbox
from storage.tables import Outbox, OutboxLane
from tests.fakes.platform import FakePlatform


async def enqueue(
    app: App, platform: str, chat: str, text: str, *, kind: str = "send", card: str | None = None
) -> int:
    async with transaction(app.sessions) as session:
        message = text_message(text)
        row = outbox.enqueue(
            session,
            platform=platform,
            chat_external_id=chat,
            payload=message.to_json(),
            now=to_utc(app.clock.now()),
            kind=kind,
            card_key=card,
        )
        await session.flush()
        assert row.id is not None
        return row.id


def deliverer(app: App, clock: ManualClock, settings: Settings, *fakes: FakePlatform) -> Deliverer:
    return Deliverer(
        sessions=app.sessions,
        platforms={fake.name: fake for fake in fakes},
        clock=clock,
        settings=settings.delivery,
    )


async def test_each_chat_in_order_a_short_burst_then_one_message_per_second_on_slack(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    worker = deliverer(app, clock, settings, slack)
    for n in range(6):
        await enqueue(app, "slack", "CA", f"a{n}")
    for n in range(2):
        await enqueue(app, "slack", "CB", f"b{n}")

    assert await worker.drain() == 5  # a burst of 3 in CA, both of CB
    assert slack.texts("CA") == ["a0", "a1", "a2"]
    assert await worker.drain() == 0  # CA waits for its next token
    clock.advance(timedelta(milliseconds=999))
    assert await worker.drain() == 0
    clock.advance(timedelta(milliseconds=1))
    assert await worker.drain() == 1
    for _ in range(2):
        clock.advance(timedelta(seconds=1))
        await worker.drain()

    assert slack.texts("CA") == [f"a{n}" for n in range(6)]
    assert slack.texts("CB") == ["b0", "b1"]
    stamps = [d.at for d in slack.deliveries if d.chat_id == "CA"][2:]
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(stamps))


async def test_the_chat_limit_is_shared_through_the_database(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    settings.delivery.dingtalk = RateLimit(chat_per_second=0.25, chat_burst=2)
    for n in range(4):
        await enqueue(app, "dingtalk", "cid", f"m{n}")
    first, second = (FakePlatform("dingtalk", clock) for _ in range(2))

    assert await deliverer(app, clock, settings, first).drain() == 2
    # Another worker (think: another replica) sees the same empty bucket …
    assert await deliverer(app, clock, settings, second).drain() == 0
    clock.advance(timedelta(seconds=4))
    # … and gets the next token when it is due.
    assert await deliverer(app, clock, settings, second).drain() == 1
    assert first.texts() + second.texts() == ["m0", "m1", "m2"]
    async with transaction(app.sessions) as session:
        lane = await session.get(OutboxLane, ("dingtalk", "cid"))
    assert lane is not None
    assert lane.next_send_at == to_utc(clock.now()) + timedelta(seconds=4)


async def test_app_token_bucket_limits_the_whole_platform(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    settings.delivery.feishu = RateLimit(
        chat_per_second=5, chat_burst=5, app_per_second=1, app_burst=2
    )
    feishu = FakePlatform("feishu", clock)
    worker = deliverer(app, clock, settings, feishu)
    for n in range(5):
        await enqueue(app, "feishu", f"oc_{n}", f"m{n}")

    assert await worker.drain() == 2
    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 1
    clock.advance(timedelta(seconds=2))
    assert await worker.drain() == 2
    assert feishu.texts() == ["m0", "m1", "m2", "m3", "m4"]


async def test_console_is_unlimited(app: App, clock: ManualClock, settings: Settings) -> None:
    console = FakePlatform("console", clock)
    worker = deliverer(app, clock, settings, console)
    for n in range(30):
        await enqueue(app, "console", "c", f"line {n}")

    assert await worker.drain() == 30
    assert console.texts() == [f"line {n}" for n in range(30)]


async def test_platforms_this_process_cannot_reach_are_left_for_others(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "dingtalk", "cid1", "not mine")
    await enqueue(app, "slack", "C1", "mine")

    assert await worker.drain() == 1
    async with transaction(app.sessions) as session:
        rows = (await session.exec(select(Outbox).order_by(Outbox.id))).all()  # type: ignore[arg-type]
    assert [(r.platform, r.status) for r in rows] == [("dingtalk", "pending"), ("slack", "sent")]


async def test_card_update_edits_the_posted_card_in_place(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "card v1", card="approval:1")
    await enqueue(app, "slack", "C1", "card v2", kind="update", card="approval:1")

    await worker.drain()
    clock.advance(timedelta(seconds=1))
    await worker.drain()

    first, second = slack.deliveries
    assert (first.kind, second.kind) == ("send", "update")
    assert second.message_id == first.message_id
    assert first.idempotency_key is not None
    assert first.idempotency_key.startswith("outbox:")
