"""A local fake of the DingTalk OpenAPI and of the Stream gateway, for tests.

aiohttp on 127.0.0.1 with an ephemeral port. Every OpenAPI call is recorded with its
headers and JSON body; calls can be made to fail (e.g. HTTP 403 with
``Forbidden.AccessDenied.QpsLimitForAppkeyAndApi``, or an old-style ``errcode``). Tokens
are numbered (``tok-1``, ``tok-2`` …) and checked on every call. The gateway's
``connections/open`` hands out single-use tickets for the fake's own ``ws://…/connect``,
where each connection gets the frames queued for it and every ack is recorded.
``/media/upload`` (old-style, ``access_token`` in the query, multipart ``media``) records
each stored file in ``media`` and answers its ``media_id``.
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
    path: str
    verb: str
    headers: dict[str, str]
    body: JSON
    response: JSON = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    body: JSON


class FakeDingTalk:
    def __init__(self, *, app_key: str = "ding-app", app_secret: str = "app-secret") -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.token_lifetime = 7200
        self.valid_tokens: set[str] = set()
        # sessionWebhook answers, in order (none queued: 404, as for a session never issued)
        self.webhook_answers: list[JSON] = []
        # Stream: frames per connection (in order of connecting); acks from every connection.
        self.connection_frames: list[list[JSON]] = []
        self.tickets: set[str] = set()
        self.connections = 0
        self.acks: list[JSON] = []
        self.media: dict[str, JSON] = {}  # media id → {"type", "name", "data"}
        self._acked = asyncio.Condition()
        self._called = asyncio.Condition()
        self._connected = asyncio.Condition()
        self._numbers = itertools.count(1)
        self._token_numbers = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/connect", self._socket)
        app.router.add_post("/media/upload", self._media)
        app.router.add_route("*", "/{path:.*}", self._api)
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
        return f"http://127.0.0.1:{self.port}"

    def fail(self, path: str, *, status: int, **body: Any) -> None:
        """The next call of ``path`` fails with this status and JSON body."""
        self.failures.setdefault(path, []).append(Failure(status, body))

    def named(self, path: str, verb: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.path == path and (verb is None or c.verb == verb)]

    def sent_texts(self) -> list[str]:
        """The markdown text of every group and single-chat message, in order."""
        sends = [
            c
            for c in self.calls
            if c.path in ("/v1.0/robot/groupMessages/send", "/v1.0/robot/oToMessages/batchSend")
            and c.response
            and not c.response.get("failed")
        ]
        hooks = [
            c
            for c in self.calls
            if c.path == "/robot/sendBySession" and c.response.get("errcode") == 0
        ]
        return [json.loads(c.body["msgParam"])["text"] for c in sends] + [
            c.body["markdown"]["text"] for c in hooks
        ]

    async def wait_for_acks(self, count: int) -> None:
        async with self._acked:
            await self._acked.wait_for(lambda: len(self.acks) >= count)

    async def wait_for_call(self, path: str, count: int = 1) -> None:
        async with self._called:
            await self._called.wait_for(lambda: len(self.named(path)) >= count)

    async def wait_for_connections(self, count: int) -> None:
        async with self._connected:
            await self._connected.wait_for(lambda: self.connections >= count)

    async def _api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body = await request.json() if request.can_read_body else {}
        call = Call(path, request.method, dict(request.headers), body, query=dict(request.query))
        self.calls.append(call)
        async with self._called:
            self._called.notify_all()
        pending = self.failures.get(path)
        if pending:
            failure = pending.pop(0)
            call.response = {"failed": True, **failure.body}
            return web.json_response(failure.body, status=failure.status)
        if path == "/v1.0/oauth2/accessToken":
            return self._token(call)
        if path == "/v1.0/gateway/connections/open":
            return self._open(call)
        if path == "/robot/sendBySession":
            if not self.webhook_answers:
                return web.json_response({"errcode": 404, "errmsg": "no session"}, status=404)
            call.response = self.webhook_answers.pop(0)
            return web.json_response(call.response)
        token = request.headers.get("x-acs-dingtalk-access-token")
        if token not in self.valid_tokens:
            return web.json_response(
                {"code": "InvalidAuthentication", "message": "token"}, status=401
            )
        call.response = self._answer(path, body)
        return web.json_response(call.response)

    async def _media(self, request: web.Request) -> web.Response:
        form = await request.post()
        media = form.get("media")
        call = Call("/media/upload", "POST", dict(request.headers), {}, query=dict(request.query))
        self.calls.append(call)
        pending = self.failures.get(call.path)
        if pending:
            failure = pending.pop(0)
            call.response = {"failed": True, **failure.body}
            return web.json_response(failure.body, status=failure.status)
        if request.query.get("access_token") not in self.valid_tokens:
            return web.json_response({"errcode": 40014, "errmsg": "invalid token"})
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 40004, "errmsg": "no media"})
        media_id = f"@media{next(self._numbers)}"
        kind = request.query.get("type", "")
        self.media[media_id] = {"type": kind, "name": media.filename, "data": media.file.read()}
        call.response = {"errcode": 0, "errmsg": "ok", "media_id": media_id, "type": kind}
        return web.json_response(call.response)

    def _token(self, call: Call) -> web.Response:
        if (call.body.get("appKey"), call.body.get("appSecret")) != (self.app_key, self.app_secret):
            return web.json_response({"code": "invalidClientId", "message": "bad app"}, status=400)
        token = f"tok-{next(self._token_numbers)}"
        self.valid_tokens.add(token)
        call.response = {"accessToken": token, "expireIn": self.token_lifetime}
        return web.json_response(call.response)

    def _open(self, call: Call) -> web.Response:
        if (call.body.get("clientId"), call.body.get("clientSecret")) != (
            self.app_key,
            self.app_secret,
        ):
            return web.json_response({"code": "invalidClientId"}, status=400)
        ticket = f"ticket-{next(self._numbers)}"
        self.tickets.add(ticket)
        call.response = {"endpoint": f"ws://127.0.0.1:{self.port}/connect", "ticket": ticket}
        return web.json_response(call.response)

    def _answer(self, path: str, body: JSON) -> JSON:
        if path in ("/v1.0/robot/groupMessages/send", "/v1.0/robot/oToMessages/batchSend"):
            return {"processQueryKey": f"pqk-{next(self._numbers)}"}
        if path == "/v1.0/card/instances/createAndDeliver":
            return {"success": True, "result": {"outTrackId": body.get("outTrackId")}}
        return {"success": True, "result": True}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=403, text="bad ticket")
        self.tickets.discard(ticket)  # single use
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        index = self.connections
        async with self._connected:
            self.connections += 1
            self._connected.notify_all()
        frames = self.connection_frames[index] if index < len(self.connection_frames) else []
        for frame in frames:
            await socket.send_str(json.dumps(frame, ensure_ascii=False))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                async with self._acked:
                    self.acks.append(json.loads(message.data))
                    self._acked.notify_all()
        return socket
