"""The two HTTP signatures DingTalk uses, checked before a body is even parsed.

* Robot messages (outgoing callback): headers ``timestamp`` (ms) and ``sign`` =
  ``Base64(HMAC-SHA256(key=AppSecret, msg=timestamp + "\\n" + AppSecret))``, refused when the
  timestamp is more than an hour away from now. Only the timestamp is signed, so a captured
  request could be replayed within the hour: ``msgId`` de-duplication closes that.
* Card callbacks: ``x-ddpaas-signature-timestamp`` and ``x-ddpaas-signature`` =
  ``Base64(HMAC-SHA256(key=apiSecret, msg=timestamp))``. DingTalk documents no tolerance for
  it; the same one-hour window applies.

Malformed headers are simply "not signed": these functions never raise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

WINDOW_MS = 60 * 60 * 1000


def robot_signature(timestamp: str, secret: str) -> str:
    return _sign(f"{timestamp}\n{secret}", secret)


def card_signature(timestamp: str, secret: str) -> str:
    return _sign(timestamp, secret)


def robot_request_ok(headers: Mapping[str, str], secret: str, *, now_ms: int) -> bool:
    timestamp, sign = headers.get("timestamp", ""), headers.get("sign", "")
    return _fresh(timestamp, now_ms) and _same(sign, robot_signature(timestamp, secret))


def card_request_ok(headers: Mapping[str, str], secret: str, *, now_ms: int) -> bool:
    timestamp = headers.get("x-ddpaas-signature-timestamp", "")
    sign = headers.get("x-ddpaas-signature", "")
    return _fresh(timestamp, now_ms) and _same(sign, card_signature(timestamp, secret))


def _sign(text: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _fresh(timestamp: str, now_ms: int) -> bool:
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 16:
        return False
    return abs(now_ms - int(timestamp)) <= WINDOW_MS


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
