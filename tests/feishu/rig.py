"""Drive Concord as Feishu does: Concord's real aiohttp server with the Feishu adapter
installed (created by ``bot.main.create_adapters`` from ``[feishu]``), and requests built from
the recorded payloads in tests/fixtures/feishu/ — AES-encrypted and signed exactly as Feishu
signs them — posted to ``POST /feishu/events``. Replies reach the fake OpenAPI through the
real lark-oapi client.

The inbox's workers run as in ``concord serve``: a card click is answered inside its request
(the adapter waits for its command to run), so something must run it while the request is
open. ``settle`` waits until the workers have run everything stored, then delivers.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Any

from aiohttp.test_utils import TestClient
from sqlmodel import select

from adapters.feishu.adapter import EVENTS_PATH, FeishuAdapter
from adapters.feishu.security import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.main import App
from storage.db import transaction
from tests.feishu.fake_feishu import Call, FakeFeishu
from tests.feishu.payloads import BOT, ENCRYPT_KEY, card_action, encrypt, message

PEOPLE = {"ou_alice": "王丽", "ou_bob": "李博", "ou_carol": "周卡", BOT: "Concord"}
GROUP = "oc_group"
SETTLE_TIMEOUT = 30.0  # a bound for a hung worker, never waited out when things work
_PERSON = re.compile(r"<@(ou_\w+)>")
JSON = dict[str, Any]


def group_message(text: str, *, sender: str, chat: str = GROUP, **fields: Any) -> JSON:
    """``@Concord`` + ``text`` as Feishu delivers it; ``<@ou_x>`` become ``@_user_N``."""
    mentions = {"@_user_1": (BOT, PEOPLE[BOT])}

    def placeholder(match: re.Match[str]) -> str:
        key = f"@_user_{len(mentions) + 1}"
        mentions[key] = (match.group(1), PEOPLE.get(match.group(1), match.group(1)))
        return key

    return message(
        "@_user_1 " + _PERSON.sub(placeholder, text),
        sender=sender,
        chat=chat,
        mentions=mentions,
        **fields,
    )


class FeishuRig:
    def __init__(
        self, app: App, fake: FakeFeishu, client: TestClient[Any, Any], adapter: FeishuAdapter
    ) -> None:
        self.app = app
        self.fake = fake
        self.client = client
        self.adapter = adapter
        self.processed = asyncio.Event()
        app.inbox.on_processed = self.processed.set

    # --- requests as Feishu sends them ---

    def sealed(
        self,
        payload: JSON,
        *,
        key: str = ENCRYPT_KEY,
        signing_key: str | None = None,
        timestamp: float | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The encrypted body and its signature headers (``signing_key``: forge them)."""
        body = json.dumps({"encrypt": encrypt(json.dumps(payload, ensure_ascii=False), key)})
        raw = body.encode()
        stamp = str(int(self.app.clock.now().timestamp() if timestamp is None else timestamp))
        nonce = secrets.token_hex(8)
        signed = signature(stamp, nonce, key if signing_key is None else signing_key, raw)
        headers = {
            TIMESTAMP_HEADER: stamp,
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: signed,
            "Content-Type": "application/json; charset=utf-8",
        }
        return raw, headers

    async def post(self, payload: JSON, **sealing: Any) -> tuple[int, JSON]:
        body, headers = self.sealed(payload, **sealing)
        return await self.post_raw(body, headers)

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> tuple[int, JSON]:
        response = await self.client.post(EVENTS_PATH, data=body, headers=headers)
        text = await response.text()
        return response.status, json.loads(text) if text else {}

    # --- what people do ---

    async def command(
        self, text: str, *, user: str = "ou_alice", chat: str = GROUP, **fields: Any
    ) -> int:
        status, _ = await self.post(group_message(text, sender=user, chat=chat, **fields))
        await self.settle()
        return status

    async def click(
        self, *, user: str, action: str, value: str, message_id: str, chat: str = GROUP
    ) -> tuple[int, JSON]:
        """A button press; returns Feishu's view of the callback answer (toast, card)."""
        payload = card_action(
            operator=user, action=action, value=value, message_id=message_id, chat=chat
        )
        answer = await self.post(payload)
        await self.settle()
        return answer

    # --- waiting for the workers ---

    async def settle(self) -> None:
        """Everything stored has been run by the workers; then deliver what is due."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while await self.app.inbox.pending():
                await self.processed.wait()
                self.processed.clear()
        await self.app.settle()

    async def rows(self, model: Any) -> list[Any]:
        async with transaction(self.app.sessions) as session:
            return list((await session.exec(select(model))).all())

    def posts_since(self, count: int) -> list[Call]:
        return self.fake.posts()[count:]
