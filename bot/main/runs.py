"""The ``concord`` sub-commands besides ``serve``: the console, the demo, ``db`` and ``outbox``."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence

from adapters.console.session import ConsoleSession, run
from bot.dates.clock import Clock, ManualClock, SystemClock, to_utc
from bot.demo import DEMO_PROJECT, DEMO_SCRIPT, DEMO_STARTS_AGO
from bot.main.app import App, build_app
from bot.outbound import outbox_report
from bot.settings import Settings
from commands.parsing.durations import parse_duration
from storage import db
from storage.db import transaction
from storage.projects import queries as projects


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


async def outbox_command(
    settings: Settings, action: str, ids: Sequence[int] = (), clock: Clock | None = None
) -> int:
    # A short look at the outbox is safe beside a running server, also on SQLite.
    app = await build_app(settings, clock or SystemClock(), exclusive=False)
    try:
        async with transaction(app.sessions) as session:
            now = to_utc(app.clock.now())
            if action == "retry":
                print(await outbox_report.retry(session, now=now, ids=ids))
            else:
                print(await outbox_report.report(session, now=now))
    finally:
        await app.close()
    return 0
