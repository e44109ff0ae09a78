"""What each ``concord`` sub-command runs. Part of the composition root (may import adapters)."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable
from datetime import timedelta

from adapters.console.session import ConsoleSession, run
from bot.clock import ManualClock, SystemClock, to_utc
from bot.demo import DEMO_PROJECT, DEMO_SCRIPT, DEMO_STARTS_AGO
from bot.main import App, build_app
from bot.settings import Settings
from commands.parsing.dates import parse_duration
from storage import db, outbox, projects
from storage.db import transaction

logger = logging.getLogger("concord")


async def console(
    settings: Settings, clock: ManualClock, *, user: str, chat: str, demo: bool
) -> int:
    app = await build_app(settings, clock)
    try:
        if demo:
            await seed_demo(app, clock, chat=chat, quiet=True)
        session = ConsoleSession(app, clock, user=user, chat=chat, write=_stdout)
        if demo and sys.stdin.isatty():
            _stdout(f"Demo project loaded into chat '{chat}'. Try: board, my, help\n\n")
        await run(session, sys.stdin)
    finally:
        await app.close()
    return 0


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def seed_demo(app: App, clock: ManualClock, *, chat: str, quiet: bool) -> bool:
    """Load the demo project unless it is there already. Returns True when it was loaded."""
    async with transaction(app.sessions) as session:
        if await projects.project_by_name(session, DEMO_PROJECT) is not None:
            return False
    buffer = io.StringIO()
    seeding = ConsoleSession(app, clock, user="alice", chat=chat, write=_discard_into(buffer))
    today = clock.now()
    clock.set(today - DEMO_STARTS_AGO)
    try:
        for line in DEMO_SCRIPT.strip().splitlines():
            if line.startswith(":wait "):
                clock.advance(parse_duration(line.split()[1]).to_timedelta())
            else:
                await seeding.handle_line(line)
    finally:
        clock.set(today)
    if not quiet:
        _stdout(buffer.getvalue())
    return True


def _discard_into(buffer: io.StringIO) -> Callable[[str], None]:
    def write(text: str) -> None:
        buffer.write(text)

    return write


async def demo(settings: Settings, clock: ManualClock, *, chat: str) -> int:
    app = await build_app(settings, clock)
    try:
        loaded = await seed_demo(app, clock, chat=chat, quiet=True)
    finally:
        await app.close()
    print(
        f"Demo project “{DEMO_PROJECT}” "
        + (f"loaded into console chat '{chat}'." if loaded else "is already there.")
    )
    print("Start the console with: concord console   (then type: board)")
    return 0


async def database(settings: Settings, action: str) -> int:
    engine = db.create_engine(settings.database_url)
    try:
        if action == "upgrade":
            await db.upgrade(engine)
        print(
            f"database at revision {await db.current_revision(engine)} "
            f"(latest {db.head_revision()})"
        )
    finally:
        await engine.dispose()
    return 0


async def outbox_command(settings: Settings, action: str) -> int:
    app = await build_app(settings, SystemClock())
    try:
        async with transaction(app.sessions) as session:
            now = to_utc(app.clock.now())
            if action == "retry":
                count = await outbox.retry_failed(session, now=now)
                print(f"{count} failed message(s) queued again")
                return 0
            rows = await outbox.stuck(session, now=now, older_than=timedelta(minutes=5))
        if not rows:
            print("no stuck messages")
        for row in rows:
            print(
                f"#{row.id} {row.status} {row.platform}:{row.chat_external_id} "
                f"attempts={row.attempts} created={row.created_at:%Y-%m-%d %H:%M} "
                f"error={row.last_error or '-'}"
            )
    finally:
        await app.close()
    return 0


async def serve(settings: Settings) -> int:
    from adapters.http import serve_forever

    app = await build_app(settings, SystemClock())
    try:
        await serve_forever(app)
    except asyncio.CancelledError:
        pass
    finally:
        await app.close()
    return 0
