"""The end-to-end benchmark's server subprocesses: Concord (``serve`` on a temporary
config) and the bare slack-bolt baseline, started on a free port and stopped cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.slack_driver import (
    SECRET,
)

HERE = Path(__file__).resolve().parent
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}  # slack_sdk honours them
SETUP_SECONDS = 60.0


@dataclass(frozen=True)
class System:
    name: str  # "baseline", "concord-sqlite", "concord-postgresql"
    database_url: str | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env() -> dict[str, str]:
    """No proxies (127.0.0.1 must be reached directly), no CONCORD_* overriding the file."""
    return {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in PROXY_VARIABLES and not key.startswith("CONCORD_")
    }


def concord_toml(database_url: str, port: int, api_base_url: str) -> str:
    quoted = json.dumps  # a JSON string is a valid TOML basic string
    return f"""database_url = {quoted(database_url)}
auto_migrate = true

[server]
host = "127.0.0.1"
port = {port}

[slack]
enabled = true
bot_token = "xoxb-bench"
signing_secret = {quoted(SECRET)}
mode = "http"
command = "/concord"
api_base_url = {quoted(api_base_url)}

[delivery.slack]
chat_per_second = 0
chat_burst = 0
app_per_second = 0
app_burst = 0
"""


def server_command(system: System, tree: Path, workdir: Path, port: int, api: str) -> list[str]:
    if system.database_url is None:
        script = HERE / "slack_baseline.py"
        return [sys.executable, str(script), "--port", str(port), "--secret", SECRET,
                "--api-base-url", api]  # fmt: skip
    config = workdir / f"{system.name}.toml"
    config.write_text(concord_toml(system.database_url, port, api), encoding="utf-8")
    return [str(concord_python(tree)), "-m", "bot.cli", "serve", "--config", str(config)]


def concord_python(tree: Path) -> Path:
    if tree.resolve() == HERE.parent:
        return Path(sys.executable)
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"--tree {tree}: no {python} (create the checkout's venv first)")
    return python


@contextlib.asynccontextmanager
async def running(argv: list[str], cwd: Path, port: int, log_path: Path) -> AsyncIterator[str]:
    """The server as a subprocess until the block ends (killed even on error); yields the
    URL Slack would post to, once ``/healthz`` answers 200."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=child_env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            await wait_healthy(process, port, log_path)
            yield f"http://127.0.0.1:{port}/slack/events"
        finally:
            await stop(process)


async def wait_healthy(process: asyncio.subprocess.Process, port: int, log_path: Path) -> None:
    deadline = time.perf_counter() + SETUP_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.perf_counter() < deadline:
            if process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(
        f"server did not become healthy (exit {process.returncode}):\n{log_tail(log_path)}"
    )


def log_tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-2000:]


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        process.kill()
        await process.wait()


async def wipe_postgresql(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


# --- measuring ---
