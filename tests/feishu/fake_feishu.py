"""A local fake of the Feishu OpenAPI, for tests (platforms.md §5.2).

aiohttp on 127.0.0.1 with an ephemeral port; point ``[feishu] domain`` (and so the real
``lark-oapi`` client) at ``fake.domain``. Every call is recorded with its headers, query
and JSON body. Calls can be made to fail (e.g. 429 with ``x-ogw-ratelimit-reset``, as in
tests/fixtures/feishu/rate_limit_429.http.txt). Sends with a ``uuid`` seen before return
the first message again, as Feishu does within an hour. Uploads to ``im/v1/files`` and
``im/v1/images`` (multipart) are recorded in ``uploads`` with their form fields and bytes.

The long connection is faked too: ``/callback/ws/endpoint`` hands out the fake's own
``ws://`` URL, where ``push`` sends events as protobuf ``pbbp2.Frame`` data frames (the
SDK's own message class) and the client's reply frames are collected in ``frames_back``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

JSON = dict[str, Any]
TOKEN = "t-fake-tenant-token"


@dataclass
class Call:
    route: str  # e.g. "messages.create"
    verb: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: JSON
    response: JSON = field(default_factory=dict)

    @property
    def content(self) -> Any:
        """The message content, decoded from its JSON string."""
        return json.loads(self.body["content"])


@dataclass
class Failure:
    status: int
    code: int
    msg: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeFeishu:
    def __init__(self, *, bot_open_id: str = "ou_bot") -> None:
        self.bot_open_id = bot_open_id
        self.calls: list[Call] = []
        self.users: dict[str, JSON] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.sent: dict[str, JSON] = {}  # message id → last content and where it went
        self.uploads: list[JSON] = []  # {"route", "key", "fields", "data"} per stored upload
        self._by_uuid: dict[str, JSON] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sockets: list[web.WebSocketResponse] = []
        self.frames_back: list[JSON] = []  # {"message_id", "code", "data"} per reply frame
        self._frames = asyncio.Condition()
        self._frame_ids = itertools.count(1)

    async def start(self) -> None:
        app = web.Application()
        routes = (
            ("POST", "/open-apis/auth/v3/tenant_access_token/internal", "token"),
            ("POST", "/open-apis/im/v1/messages", "messages.create"),
            ("POST", "/open-apis/im/v1/messages/{message_id}/reply", "messages.reply"),
            ("PATCH", "/open-apis/im/v1/messages/{message_id}", "messages.patch"),
            ("GET", "/open-apis/contact/v3/users/{user_id}", "users.get"),
            ("GET", "/open-apis/bot/v3/info", "bot.info"),
        )
        for verb, path, route in routes:
            app.router.add_route(verb, path, self._handler(route))
        app.router.add_post("/open-apis/im/v1/files", self._upload("files.create"))
        app.router.add_post("/open-apis/im/v1/images", self._upload("images.create"))
        app.router.add_post("/callback/ws/endpoint", self._endpoint)
        app.router.add_get("/ws", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def domain(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(
        self, route: str, *, status: int = 429, code: int = 99991400, msg: str = "", **headers: str
    ) -> None:
        """The next call of ``route`` fails (headers: ``x_ogw_ratelimit_reset="52"``)."""
        named = {key.replace("_", "-"): value for key, value in headers.items()}
        failure = Failure(status, code, msg or "request trigger frequency limit", named)
        self.failures.setdefault(route, []).append(failure)

    def user(self, open_id: str, name: str, *, time_zone: str = "Asia/Shanghai") -> None:
        self.users[open_id] = {"open_id": open_id, "name": name, "time_zone": time_zone}

    def named(self, *routes: str) -> list[Call]:
        return [c for c in self.calls if c.route in routes]

    def posts(self) -> list[Call]:
        """Messages sent (to a chat, a person or as a reply), in order."""
        return self.named("messages.create", "messages.reply")

    def _handler(self, route: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else {}
            call = Call(
                route,
                request.method,
                request.path,
                dict(request.headers),
                dict(request.query),
                body,
            )
            self.calls.append(call)
            pending = self.failures.get(route)
            if pending:
                failure = pending.pop(0)
                answer = {"code": failure.code, "msg": failure.msg}
                return web.json_response(answer, status=failure.status, headers=failure.headers)
            if route != "token" and request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
            call.response = self._answer(route, request, body)
            return web.json_response(call.response)

        return handle

    def _upload(self, route: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            form = await request.post()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            files = [v for v in form.values() if isinstance(v, web.FileField)]
            call = Call(route, "POST", request.path, dict(request.headers), {}, fields)
            self.calls.append(call)
            pending = self.failures.get(route)
            if pending:
                failure = pending.pop(0)
                answer = {"code": failure.code, "msg": failure.msg}
                return web.json_response(answer, status=failure.status, headers=failure.headers)
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
            number = next(self._ids)
            name = "image_key" if route == "images.create" else "file_key"
            key = f"img_fake{number:04d}" if route == "images.create" else f"file_fake{number:04d}"
            data = files[0].file.read() if files else b""
            self.uploads.append({"route": route, "key": key, "fields": fields, "data": data})
            call.response = {"code": 0, "msg": "success", "data": {name: key}}
            return web.json_response(call.response)

        return handle

    def _answer(self, route: str, request: web.Request, body: JSON) -> JSON:
        if route == "token":
            return {"code": 0, "msg": "ok", "tenant_access_token": TOKEN, "expire": 7200}
        if route == "bot.info":
            bot = {"activate_status": 2, "app_name": "Concord", "open_id": self.bot_open_id}
            return {"code": 0, "msg": "ok", "bot": bot}
        if route == "users.get":
            user = self.users.get(request.match_info["user_id"])
            if user is None:
                return {"code": 41050, "msg": "no user authority error"}
            return {"code": 0, "msg": "success", "data": {"user": user}}
        if route == "messages.patch":
            message_id = request.match_info["message_id"]
            if message_id not in self.sent:
                return {"code": 230001, "msg": "message not found"}
            self.sent[message_id]["content"] = body.get("content")
            return {"code": 0, "msg": "success", "data": {}}
        return {"code": 0, "msg": "success", "data": self._post(route, request, body)}

    def _post(self, route: str, request: web.Request, body: JSON) -> JSON:
        uuid = body.get("uuid")
        if uuid and uuid in self._by_uuid:
            return self._by_uuid[uuid]
        message_id = f"om_fake{next(self._ids):04d}"
        if route == "messages.reply":
            where = {"root_id": request.match_info["message_id"]}
        else:
            where = {"receive_id": body.get("receive_id"), **request.query}
        data = {"message_id": message_id, "msg_type": body.get("msg_type"), **where}
        self.sent[message_id] = {**data, "content": body.get("content")}
        if uuid:
            self._by_uuid[uuid] = data
        return data

    # --- long connection ---

    async def wait_connected(self) -> None:
        async with self._frames:
            await self._frames.wait_for(lambda: bool(self.sockets))

    async def push(self, payload: JSON) -> JSON:
        """Send one event as a data frame; return the client's reply (its answer decoded)."""
        message_id = f"frame{next(self._frame_ids)}"
        frame = Frame(SeqID=1, LogID=1, service=1, method=1)
        for key, value in (
            ("type", "event"),
            ("message_id", message_id),
            ("trace_id", "trace"),
            ("sum", "1"),
            ("seq", "0"),
        ):
            header = frame.headers.add()
            header.key, header.value = key, value
        frame.payload = json.dumps(payload, ensure_ascii=False).encode()
        await self.sockets[-1].send_bytes(frame.SerializeToString())
        async with self._frames:
            await self._frames.wait_for(
                lambda: any(f["message_id"] == message_id for f in self.frames_back)
            )
        return next(f for f in self.frames_back if f["message_id"] == message_id)

    async def _endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(
            Call("ws.endpoint", "POST", request.path, dict(request.headers), {}, body)
        )
        url = f"ws://127.0.0.1:{self.port}/ws?device_id=d1&service_id=1"
        config = {
            "PingInterval": 120,
            "ReconnectCount": -1,
            "ReconnectInterval": 120,
            "ReconnectNonce": 30,
        }
        return web.json_response(
            {"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": config}}
        )

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async with self._frames:
            self.sockets.append(socket)
            self._frames.notify_all()
        async for message in socket:
            if message.type == WSMsgType.BINARY:
                await self._frame_back(message.data)
        self.sockets.remove(socket)
        return socket

    async def _frame_back(self, raw: bytes) -> None:
        frame = Frame()
        frame.ParseFromString(raw)
        headers = {h.key: h.value for h in frame.headers}
        if frame.method != 1:  # a ping
            return
        answer = json.loads(frame.payload)
        data = answer.get("data")
        async with self._frames:
            self.frames_back.append(
                {
                    "message_id": headers.get("message_id"),
                    "code": answer.get("code"),
                    "data": json.loads(base64.b64decode(data)) if data else None,
                }
            )
            self._frames.notify_all()
