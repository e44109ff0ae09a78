"""Opening a webhook request: parse, decrypt, and check it came from Feishu.

Everything that can fail on a hostile body happens here, before the request touches the
store: unreadable JSON or ciphertext → 400; a bad signature, a stale timestamp or a wrong
verification token → 401. The formulas are Feishu's (platforms.md §2.1): the AES key is
SHA-256 of the encrypt key, the IV the first 16 bytes of the base64 blob (AES-256-CBC,
PKCS#7 — decrypted with the SDK's own ``AESCipher``); the signature is plain SHA-256 of
``timestamp + nonce + encrypt_key`` followed by the raw body bytes.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lark_oapi.core.utils import AESCipher

from adapters.feishu import inbound

TIMESTAMP_HEADER = "X-Lark-Request-Timestamp"
NONCE_HEADER = "X-Lark-Request-Nonce"
SIGNATURE_HEADER = "X-Lark-Signature"
# Feishu documents no window; five minutes (as Slack) keeps replays short and clocks loose.
MAX_SKEW_SECONDS = 300


class RejectedRequest(Exception):
    """The request is not a genuine, readable Feishu delivery; answer ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Credentials:
    verification_token: str
    encrypt_key: str


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def decrypt(blob: str, encrypt_key: str) -> str:
    """Feishu's ``encrypt`` field → the plaintext (ValueError when it is not one)."""
    try:
        return str(AESCipher(encrypt_key).decrypt_str(blob))
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error


def open_request(
    body: bytes, headers: Mapping[str, str], credentials: Credentials, *, now: float
) -> dict[str, Any]:
    """The request's payload once it is known to be Feishu's (else ``RejectedRequest``).

    ``headers`` must look names up case-insensitively (aiohttp's request headers do)."""
    outer = _json_object(body, "body")
    plaintext = outer
    if "encrypt" in outer:
        plaintext = _decrypted(outer["encrypt"], credentials.encrypt_key)
    challenge = inbound.event_type(plaintext) == inbound.URL_VERIFICATION
    # The URL-verification handshake is not signed (the SDK checks only its token).
    if credentials.encrypt_key and not challenge:
        check_signature(body, headers, credentials.encrypt_key, now=now)
    check_token(plaintext, credentials.verification_token)
    return plaintext


def check_signature(
    body: bytes, headers: Mapping[str, str], encrypt_key: str, *, now: float
) -> None:
    stamp = headers.get(TIMESTAMP_HEADER) or ""
    nonce = headers.get(NONCE_HEADER) or ""
    given = headers.get(SIGNATURE_HEADER) or ""
    if not (stamp and given):
        raise RejectedRequest(401, "unsigned request")
    try:
        skew = abs(now - float(stamp))
    except ValueError:
        raise RejectedRequest(401, "bad timestamp") from None
    if skew > MAX_SKEW_SECONDS:
        raise RejectedRequest(401, "stale request")
    expected = signature(stamp, nonce, encrypt_key, body)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise RejectedRequest(401, "bad signature")


def check_token(payload: Mapping[str, Any], verification_token: str) -> None:
    if not verification_token:
        return
    token = inbound.payload_token(payload) or ""
    if not hmac.compare_digest(token.encode(), verification_token.encode()):
        raise RejectedRequest(401, "wrong verification token")


def _decrypted(blob: Any, encrypt_key: str) -> dict[str, Any]:
    if not encrypt_key:
        raise RejectedRequest(400, "encrypted body but no encrypt key is configured")
    if not isinstance(blob, str):
        raise RejectedRequest(400, "encrypt is not a string")
    try:
        plaintext = decrypt(blob, encrypt_key)
    except ValueError:
        raise RejectedRequest(400, "cannot decrypt the body") from None
    return _json_object(plaintext.encode(), "decrypted body")


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RejectedRequest(400, f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise RejectedRequest(400, f"{what} is not a JSON object")
    return data
