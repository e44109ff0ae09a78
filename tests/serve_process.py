"""Real ``concord serve`` subprocesses for the fault tests, and a sender that talks to them
the way Slack does (correctly signed slash commands, events and clicks).

Each process gets its own TOML config (Slack in HTTP mode, pointed at the local fake Web
API), a free port and a log file (its stderr). Nothing here sleeps for timing: every wait
polls a condition against a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from sqlalchemy import text

from storage import db
from tests.conftest import PG_URL, _truncate
from tests.slack.conftest import SECRET, SlackRig, fixture, slash_fields
from tests.slack.fake_slack import Call, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
EVENTS = "/slack/events"
FORM = "application/x-www-form-urlencoded"
REPLIES = ("chat.postMessage", "chat.postEphemeral")
LARGE = 512 * 1024
POLL = 0.05  # how often a wait looks at its condition again
# The fake's users: alice (U111), bob (U222), carol (U333), and dana (U444), whom the
# database never saw before she writes.
PEOPLE = {"U111": "Alice Wang", "U222": "Bob Lee", "U333": "Carol Zhou", "U444": "Dana Xu"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(
    condition: Callable[[], Any], *, within: float = 60.0, what: str = "condition"
) -> None:
    """Poll ``condition`` (sync or async) until it is true, or fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(POLL)


def config_text(
    *, database_url: str, api_base_url: str, port: int, inbox: dict[str, float] | None = None
) -> str:
    limits = "chat_per_second = 0.0\nchat_burst = 0\napp_per_second = 0.0\napp_burst = 0\n"
    knobs = {"grace_seconds": 5.0, "retry_seconds": 0.5, "poll_seconds": 0.2, **(inbox or {})}
    return (
        f'database_url = "{database_url}"\n'
        'calendar = "weekends"\n'
        "auto_migrate = true\n"
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
        "[inbox]\n" + "".join(f"{key} = {value}\n" for key, value in knobs.items()) + "[delivery]\n"
        "interval_seconds = 0.2\nbase_backoff_seconds = 0.2\n"
        "[delivery.slack]\n" + limits + "[slack]\nenabled = true\n"
        'mode = "http"\n'
        'bot_token = "xoxb-test"\n'
        f'signing_secret = "{SECRET}"\n'
        f'api_base_url = "{api_base_url}"\n'
    )


def clean_environment() -> dict[str, str]:
    """No proxies (slack_sdk would send the fake's traffic there) and no CONCORD_ settings
    from the test run's own environment."""
    proxies = {"HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"}
    return {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in proxies and not key.startswith("CONCORD_")
    }


@dataclass
class ServeProcess:
    """One ``concord serve`` with its config, port and log file."""

    name: str
    workdir: Path
    database_url: str
    api_base_url: str
    inbox: dict[str, float] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def config(self) -> Path:
        return self.workdir / f"{self.name}.toml"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def launch(self, *command: str) -> asyncio.subprocess.Process:
        """Start ``concord <command> --config …`` appending to the log file."""
        self.config.write_text(
            config_text(
                database_url=self.database_url,
                api_base_url=self.api_base_url,
                port=self.port,
                inbox=self.inbox,
            ),
            encoding="utf-8",
        )
        with self.log_path.open("ab") as log:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *command,
                "--config",
                str(self.config),
                cwd=self.workdir,
                env={**clean_environment(), "PYTHONPATH": str(ROOT)},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    async def start(self, *, within: float = 60.0) -> None:
        """Start ``concord serve`` and wait until ``/healthz`` answers 200."""
        self.process = await self.launch("serve")
        self.starts += 1
        await until(self.healthy, within=within, what=f"{self.name} /healthz 200")

    async def healthy(self) -> bool:
        assert self.process is not None
        if self.process.returncode is not None:
            raise AssertionError(f"{self.name} exited {self.process.returncode}:\n{self.log()}")
        return await self.health_status() == 200

    async def health_status(self) -> int | None:
        try:
            async with (
                aiohttp.ClientSession() as client,
                client.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=5)) as r,
            ):
                return r.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def kill(self) -> None:
        """``kill -9``: no chance to finish anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    async def exit_code(self, *, within: float) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), within)

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@dataclass(frozen=True)
class Sent:
    """A request as Slack sent it, and what Concord answered (``status`` None: refused)."""

    token: str
    channel: str
    status: int | None
    body: str

    @property
    def acknowledged(self) -> bool:
        """Stored: a slash command's ack is an empty 200 (anything else tells the user)."""
        return self.status == 200 and self.body == ""


class SlackSender:
    """Signed Slack requests to one or more ``concord serve`` processes."""

    def __init__(self) -> None:
        self.client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.triggers = itertools.count(1)

    async def close(self) -> None:
        await self.client.close()

    async def post(
        self, server: ServeProcess, raw: str, content_type: str, *, signed: bool = True
    ) -> tuple[int | None, str]:
        headers = SlackRig.signed(raw) if signed else {}
        headers["Content-Type"] = content_type
        data = io.BytesIO(raw.encode()) if len(raw) > LARGE else raw  # aiohttp wants a stream
        try:
            async with self.client.post(server.url + EVENTS, data=data, headers=headers) as r:
                return r.status, await r.text()
        except (aiohttp.ClientConnectionError, TimeoutError) as error:
            return None, type(error).__name__

    async def command(
        self, server: ServeProcess, text_: str, *, channel: str, user: str = "U111", token: str = ""
    ) -> Sent:
        fields = slash_fields()
        fields.update(command="/concord", text=text_, user_id=user, channel_id=channel)
        fields["channel_name"] = channel.lower()
        fields["trigger_id"] = f"{next(self.triggers)}.{time.monotonic_ns()}.xxx"
        status, body = await self.post(server, urlencode(fields), FORM)
        return Sent(token, channel, status, body)

    async def mention(
        self, server: ServeProcess, text_: str, *, channel: str, user: str = "U111", ts: str
    ) -> Sent:
        """An ``app_mention`` event (``ts`` makes it unique; the same ``ts`` is a retry)."""
        payload = copy.deepcopy(fixture("events_api_app_mention.json"))
        payload["event"].update(text=f"<@UBOT> {text_}", user=user, channel=channel, ts=ts)
        payload["event"]["event_ts"] = ts
        payload["event_id"] = f"Ev{ts.replace('.', '')}"
        status, body = await self.post(server, json.dumps(payload), "application/json")
        return Sent(ts, channel, status, body)

    async def click(
        self, server: ServeProcess, *, user: str, channel: str, message_ts: str, action: str,
        value: str, action_ts: str,
    ) -> Sent:  # fmt: skip
        payload = copy.deepcopy(fixture("block_actions_message.json"))
        payload["user"] = {"id": user}
        payload["channel"] = {"id": channel, "name": channel.lower()}
        payload["container"].update(message_ts=message_ts, channel_id=channel)
        payload["actions"][0].update(action_id=action, value=value, action_ts=action_ts)
        status, body = await self.post(server, "payload=" + quote(json.dumps(payload)), FORM)
        return Sent(action_ts, channel, status, body)


class FaultRig:
    """The fake Slack Web API, a sender, and the ``concord serve`` processes of one test
    (all on ``database_url``); ``close`` kills whatever is still running."""

    def __init__(self, workdir: Path, database_url: str, fake: FakeSlack) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.fake = fake
        self.sender = SlackSender()
        self.servers: list[ServeProcess] = []

    def server(
        self, name: str = "serve", *, database_url: str | None = None, **inbox: float
    ) -> ServeProcess:
        url = database_url or self.database_url
        server = ServeProcess(name, self.workdir, url, self.fake.base_url, inbox)
        self.servers.append(server)
        return server

    async def started(self, name: str = "serve", **inbox: float) -> ServeProcess:
        server = self.server(name, **inbox)
        await server.start()
        return server

    def replies(self, tokens: Iterable[str]) -> dict[str, int]:
        return reply_counts(self.fake, tokens)

    async def all_replied(self, tokens: Iterable[str], *, within: float = 60.0) -> None:
        wanted = list(tokens)
        await until(
            lambda: min(self.replies(wanted).values(), default=1) >= 1,
            within=within,
            what=f"a reply to each of {len(wanted)} commands",
        )

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return await query(self.database_url, sql, **params)

    async def close(self) -> None:
        for server in self.servers:
            await server.close()
        await self.sender.close()
        await self.fake.stop()


@contextlib.asynccontextmanager
async def fault_rig(workdir: Path, database_url: str) -> AsyncIterator[FaultRig]:
    fake = FakeSlack()
    for user, name in PEOPLE.items():
        fake.user(user, name)
    await fake.start()
    rig = FaultRig(workdir, database_url, fake)
    try:
        yield rig
    finally:
        await rig.close()


def postgres_url(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL test database, migrated and emptied (as tests/conftest.py does)."""
    if PG_URL is None:
        pytest.skip("set CONCORD_TEST_DATABASE_URL to run the PostgreSQL tests")
    url: str = request.getfixturevalue("postgres_ready")
    asyncio.run(_truncate(url))
    return url


def replies_mentioning(fake: FakeSlack, token: str) -> list[Call]:
    """The messages Concord sent that carry ``token`` (a command's unique title)."""
    return [c for c in fake.calls if c.method in REPLIES and token in str(c.body.get("text", ""))]


def reply_counts(fake: FakeSlack, tokens: Iterable[str]) -> dict[str, int]:
    return {token: len(replies_mentioning(fake, token)) for token in tokens}


async def query(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Read the database directly (the test's own engine, beside the processes)."""
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(sql), params)
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


def traceback_count(log: str) -> int:
    return log.count("Traceback (most recent call last)")
