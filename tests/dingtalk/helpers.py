"""Fixture payloads (tests/fixtures/dingtalk/, see SOURCES.md there) and signed headers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from adapters.dingtalk.signing import card_signature, robot_signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dingtalk"
APP_KEY = "ding-app"
APP_SECRET = "app-secret"
CARD_SECRET = "card-secret"
GROUP = "cidAsXSBLnA=="
JSON = dict[str, Any]


def fixture(name: str) -> JSON:
    data: JSON = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def robot_headers(now_ms: int, *, secret: str = APP_SECRET) -> dict[str, str]:
    stamp = str(now_ms)
    return {"timestamp": stamp, "sign": robot_signature(stamp, secret)}


def card_headers(now_ms: int, *, secret: str = CARD_SECRET) -> dict[str, str]:
    stamp = str(now_ms)
    return {
        "x-ddpaas-signature-timestamp": stamp,
        "x-ddpaas-signature": card_signature(stamp, secret),
    }


def group_message(
    text: str,
    *,
    msg_id: str,
    sender: str = "alice01",
    nick: str = "王小丽",
    at: tuple[tuple[str, str | None], ...] = (),
) -> JSON:
    """The documented group @-message with our text, sender and extra @-mentions
    (``(dingtalkId, staffId)`` pairs; the robot's own mention stays first)."""
    body = fixture("robot_message_group_at_text.json")
    body.update(
        msgId=msg_id, senderStaffId=sender, senderNick=nick, senderId=f"$:LWCP_v1:${sender}"
    )
    body["text"]["content"] = " " + text
    for dingtalk_id, staff_id in at:
        user: JSON = {"dingtalkId": dingtalk_id}
        if staff_id is not None:
            user["staffId"] = staff_id
        body["atUsers"].append(user)
    body["atUsers"][0]["dingtalkId"] = body["chatbotUserId"]
    return body
