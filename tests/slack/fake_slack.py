"""A local fake of the Slack Web API and the Socket Mode WebSocket, for tests.

aiohttp on 127.0.0.1 with an ephemeral port. Every Web API call is recorded with its
headers and body (JSON, form or query). Calls can be made to fail (e.g. 429 with
``Retry-After``) or to answer slowly. ``apps.connections.open`` returns the fake's own
``ws://`` URL, where the fake says hello, pushes queued envelopes and records the acks.
Files: ``files.getUploadURLExternal`` hands out the fake's own ``/upload/<file id>`` URL,
where the bytes are recorded (``uploads``; ``fail_upload`` makes the next one fail), and
``files.completeUploadExternal`` shares them (``shared``: one entry per file shared).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage"
    verb: str  # HTTP method
    headers: dict[str, str]
    body: JSON
    response: JSON = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    error: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self, *, bot_user_id: str = "UBOT", hello: JSON | None = None) -> None:
        self.bot_user_id = bot_user_id
        self.hello = hello or {"type": "hello"}
        self.calls: list[Call] = []
        self.users: dict[str, JSON] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.delays: dict[str, float] = {}
        self.envelopes: list[JSON] = []
        self.acks: list[JSON] = []
        self._acked = asyncio.Condition()
        self._ts = itertools.count(100)
        self._file_ids = itertools.count(1)
        self.uploads: dict[str, bytes] = {}  # file id → bytes POSTed to its upload URL
        self.upload_attempts = 0
        self.upload_failures: list[int] = []  # statuses of the next uploads
        self.shared: list[JSON] = []  # the body of each successful completeUploadExternal
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def fail(
        self, method: str, *, status: int = 429, error: str = "ratelimited", **headers: str
    ) -> None:
        """The next call of ``method`` fails (headers: e.g. ``Retry_After="1"``)."""
        named = {key.replace("_", "-"): value for key, value in headers.items()}
        self.failures.setdefault(method, []).append(Failure(status, error, named))

    def fail_upload(self, status: int = 500) -> None:
        """The next POST of bytes to an upload URL fails with ``status``."""
        self.upload_failures.append(status)

    async def _upload(self, request: web.Request) -> web.Response:
        self.upload_attempts += 1
        if self.upload_failures:
            return web.Response(status=self.upload_failures.pop(0), text="upload failed")
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def wait_for_acks(self, count: int) -> None:
        async with self._acked:
            await self._acked.wait_for(lambda: len(self.acks) >= count)

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def user(self, user_id: str, name: str, *, tz: str = "Asia/Shanghai", real: str = "") -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": name.lower().replace(" ", "."),
            "real_name": real or name,
            "tz": tz,
            "profile": {"display_name": name, "real_name": real or name},
        }

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, request.method, dict(request.headers), await _body(request))
        self.calls.append(call)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            body = {"ok": False, "error": failure.error}
            return web.json_response(body, status=failure.status, headers=failure.headers)
        call.response = self._answer(method, call.body)
        return web.json_response(call.response)

    def _answer(self, method: str, body: JSON) -> JSON:
        if method == "auth.test":
            return {"ok": True, "user_id": self.bot_user_id, "bot_id": "BBOT", "team_id": "T111"}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": body}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", ""))[1:]}}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "views.open":
            view = body.get("view") or {}
            return {"ok": True, "view": {"id": "V123", **view}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):03d}"
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            entries = json.loads(files) if isinstance(files, str) else files or []
            if any(entry.get("id") not in self.uploads for entry in entries):
                return {"ok": False, "error": "file_not_found"}
            self.shared.append(body)
            return {"ok": True, "files": entries}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        return {"ok": True}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str(json.dumps(self.hello))
        for envelope in self.envelopes:
            await socket.send_str(json.dumps(envelope))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                async with self._acked:
                    self.acks.append(json.loads(message.data))
                    self._acked.notify_all()
        return socket


async def _body(request: web.Request) -> JSON:
    body: JSON = dict(request.query)
    if request.content_type == "application/json":
        body.update(await request.json())
    elif request.can_read_body:
        body.update({k: str(v) for k, v in (await request.post()).items()})
    return body
