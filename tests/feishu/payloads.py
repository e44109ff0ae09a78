"""Feishu request payloads built from the fixtures in tests/fixtures/feishu/ (see SOURCES.md),
and the signing / encryption Feishu applies to webhook deliveries (platforms.md §2.1)."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feishu"
TOKEN = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"  # the verification token in the message fixture
ENCRYPT_KEY = "concord-test-encrypt-key"
BOT = "ou_bot"
JSON = dict[str, Any]
_serial = itertools.count(1)


def fixture(name: str) -> JSON:
    data: JSON = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def encrypt(plaintext: str, key: str, *, iv: bytes | None = None) -> str:
    """What Feishu sends as ``{"encrypt": …}``: base64(IV ‖ AES-256-CBC(SHA256(key)))."""
    iv = iv or os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(pad(plaintext.encode(), 16))).decode()


def message(
    text: str,
    *,
    sender: str = "ou_alice",
    chat: str = "oc_group",
    chat_type: str = "group",
    mentions: dict[str, tuple[str, str]] | None = None,
    message_id: str | None = None,
    root_id: str | None = None,
    kind: str = "text",
    content: JSON | None = None,
) -> JSON:
    """The fixture's ``im.message.receive_v1`` with our people: ``mentions`` maps
    ``@_user_N`` to (open_id, name)."""
    payload = copy.deepcopy(fixture("im_message_receive_v1_group_mention.json"))
    serial = next(_serial)
    payload["header"]["event_id"] = f"ev{serial:08d}"
    payload["event"]["sender"]["sender_id"] = {"open_id": sender}
    body = payload["event"]["message"]
    body.update(
        message_id=message_id or f"om_in{serial:08d}",
        chat_id=chat,
        chat_type=chat_type,
        message_type=kind,
        content=json.dumps(content if content is not None else {"text": text}, ensure_ascii=False),
    )
    for key in ("root_id", "parent_id", "thread_id"):
        body.pop(key, None)
    if root_id:
        body["root_id"] = body["parent_id"] = root_id
    body["mentions"] = [
        {"key": key, "id": {"open_id": open_id}, "name": name, "tenant_key": "736588c9260f175e"}
        for key, (open_id, name) in (mentions or {}).items()
    ]
    return payload


def card_action(
    *, operator: str, action: str, value: str, message_id: str, chat: str = "oc_group"
) -> JSON:
    """The fixture's ``card.action.trigger`` for a click on one of Concord's buttons."""
    payload = copy.deepcopy(fixture("card_action_trigger.json"))
    payload["header"]["event_id"] = f"evcard{next(_serial):08d}"
    payload["header"]["token"] = TOKEN
    event = payload["event"]
    event["operator"] = {"open_id": operator}
    event["action"] = {"value": {"action": action, "value": value}, "tag": "button"}
    event["delivery_type"] = "im_message"
    event["context"] = {"open_message_id": message_id, "open_chat_id": chat}
    return payload
