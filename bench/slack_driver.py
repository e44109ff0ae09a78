"""The load side of ``python -m bench e2e``: signed slash commands sent at a fixed offered
rate, and the replies matched as the fake Slack Web API receives them.

Requests look like Slack's: a form-encoded body with the slash-command fields, and
``X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`` with
``X-Slack-Request-Timestamp``. The schedule is open-loop (command ``i`` leaves at
``start + i / rate`` whether or not earlier ones were answered), so a slow server shows
up as latency and backlog rather than as a lower offered rate.

A reply is the first ``chat.postMessage`` / ``chat.postEphemeral`` in the command's
channel that carries its key: the task title for ``task add``, the project name for
``project new``; a ``board`` reply (marked by its ``Board — `` header) goes to the
oldest unanswered ``board`` of that channel, whatever task titles it lists.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.slack.fake_slack import JSON, FakeSlack

SECRET = "bench-signing-secret-0123456789ab"
BOARD_MARK = "Board — "
REPLY_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral"})
USERS = tuple((f"U{n:04d}", f"Bench User {n}") for n in range(1, 6))


@dataclass
class Command:
    channel: str
    user: str
    text: str
    key: str  # what the reply carries; BOARD_MARK for a board
    sent_at: float = math.nan
    acked_at: float = math.nan
    replied_at: float = math.nan
    status: int = 0

    @property
    def kind(self) -> str:
        return "board" if self.key == BOARD_MARK else self.text.split()[0]

    @property
    def ack_ms(self) -> float:
        return (self.acked_at - self.sent_at) * 1000

    @property
    def reply_ms(self) -> float:
        """Until the reply reached the fake; infinite while it has not."""
        return (self.replied_at - self.sent_at) * 1000 if self.answered else math.inf

    @property
    def answered(self) -> bool:
        return not math.isnan(self.replied_at)


def channel_ids(count: int) -> list[str]:
    return [f"CBENCH{n:04d}" for n in range(1, count + 1)]


def project_name(channel: str) -> str:
    return f"Bench {channel}"


def manager(channel: str, channels: list[str]) -> str:
    """Who runs the channel's project: its creator, so their ``task add`` is allowed."""
    return USERS[channels.index(channel) % len(USERS)][0]


def setup_commands(channels: list[str]) -> list[Command]:
    """``project new`` in every channel."""
    return [
        Command(c, manager(c, channels), f'project new "{project_name(c)}"', project_name(c))
        for c in channels
    ]


def load_commands(
    label: str, count: int, channels: list[str], *, board_every: int
) -> list[Command]:
    """``count`` commands round-robin over the channels, each from the project's manager:
    ``task add`` with a unique title and rotating owners, every ``board_every``-th a
    ``board``."""
    commands = []
    for n in range(count):
        channel = channels[n % len(channels)]
        sender = manager(channel, channels)
        if board_every and n % board_every == board_every - 1:
            commands.append(Command(channel, sender, "board", BOARD_MARK))
            continue
        owner, owner_name = USERS[(n + 1) % len(USERS)]
        title = f"Bench {label}-{n:05d}"  # fixed width: no title is part of another
        text = f'task add "{title}" owner:<@{owner}|{owner_name.lower()}> due:fri'
        commands.append(Command(channel, sender, text, title))
    return commands


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def slash_body(command: Command, trigger: int) -> str:
    """The fields Slack posts for a slash command (values invented, shapes Slack's)."""
    return urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0BENCH",
            "team_domain": "bench",
            "channel_id": command.channel,
            "channel_name": command.channel.lower(),
            "user_id": command.user,
            "user_name": command.user.lower(),
            "command": "/concord",
            "text": command.text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": f"https://hooks.slack.com/commands/T0BENCH/{trigger}/bench",
            "trigger_id": f"{trigger}.1.bench",
        }
    )


class Replies:
    """Matches the fake's incoming posts to the commands waiting for them."""

    def __init__(self) -> None:
        self.waiting: dict[str, list[Command]] = {}
        self.unmatched = 0

    def expect(self, command: Command) -> None:
        self.waiting.setdefault(command.channel, []).append(command)

    def received(self, method: str, body: JSON, at: float) -> None:
        if method not in REPLY_METHODS:
            return
        text = json.dumps(body, ensure_ascii=False)
        waiting = self.waiting.get(str(body.get("channel")), [])
        board = BOARD_MARK in text
        for index, command in enumerate(waiting):
            if (command.key == BOARD_MARK) if board else (command.key in text):
                command.replied_at = at
                del waiting[index]
                return
        self.unmatched += 1

    def missing(self, commands: list[Command]) -> int:
        return sum(not c.answered for c in commands)

    async def wait(self, commands: list[Command], until: float) -> bool:
        """Until every command is answered (True) or ``until`` (perf_counter) passes."""
        while self.missing(commands):
            if time.perf_counter() >= until:
                return False
            await asyncio.sleep(0.02)
        return True


class RecordingSlack(FakeSlack):
    """The tests' fake Slack Web API, telling ``on_call`` when each call arrived."""

    def __init__(self, on_call: Callable[[str, JSON, float], None]) -> None:
        super().__init__()
        self.on_call = on_call
        for user_id, name in USERS:
            self.user(user_id, name)

    def _answer(self, method: str, body: JSON) -> JSON:
        self.on_call(method, body, time.perf_counter())
        return super()._answer(method, body)


@dataclass
class Driver:
    """Sends commands to one server's ``/slack/events``."""

    url: str
    replies: Replies
    secret: str = SECRET
    triggers: Iterator[int] = field(default_factory=lambda: itertools.count(1_000_000))

    async def __aenter__(self) -> Driver:
        connector = aiohttp.TCPConnector(limit=0)  # Slack opens as many as it needs
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def send(self, command: Command) -> None:
        body = slash_body(command, next(self.triggers))
        self.replies.expect(command)
        command.sent_at = time.perf_counter()
        try:
            async with self.session.post(
                self.url, data=body, headers=signed_headers(body, self.secret)
            ) as response:
                await response.read()
                command.status = response.status
        except (aiohttp.ClientError, TimeoutError):
            command.status = -1
        command.acked_at = time.perf_counter()

    async def offer(self, commands: list[Command], rate: float) -> None:
        """Send at ``rate`` per second, open-loop; return once every request is answered."""
        start = time.perf_counter()
        sending: list[asyncio.Task[None]] = []
        for n, command in enumerate(commands):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sending.append(asyncio.create_task(self.send(command)))
        await asyncio.gather(*sending)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank; infinite values (no reply) sort last."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)] if ordered else math.nan


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values, default=math.nan),
    }
