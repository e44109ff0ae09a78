"""The robot-callback and card-callback signatures, and their one-hour window."""

from __future__ import annotations

import base64
import hashlib
import hmac

from adapters.dingtalk.signing import card_request_ok, robot_request_ok, robot_signature
from tests.dingtalk.helpers import APP_SECRET, CARD_SECRET, card_headers, robot_headers

NOW = 1_700_000_000_000
HOUR = 3_600_000


def test_the_robot_signature_is_the_documented_hmac() -> None:
    # Base64(HMAC-SHA256(key=AppSecret, msg=timestamp + "\n" + AppSecret)), computed by hand.
    expected = base64.b64encode(
        hmac.new(b"secret", b"1577262236757\nsecret", hashlib.sha256).digest()
    ).decode()
    assert robot_signature("1577262236757", "secret") == expected


def test_a_signed_request_within_the_hour_passes() -> None:
    assert robot_request_ok(robot_headers(NOW), APP_SECRET, now_ms=NOW + HOUR)
    assert robot_request_ok(robot_headers(NOW), APP_SECRET, now_ms=NOW - HOUR)
    assert card_request_ok(card_headers(NOW), CARD_SECRET, now_ms=NOW + 1000)


def test_forged_stale_and_malformed_requests_fail() -> None:
    assert not robot_request_ok(robot_headers(NOW, secret="guess"), APP_SECRET, now_ms=NOW)
    assert not robot_request_ok(robot_headers(NOW - 2 * HOUR), APP_SECRET, now_ms=NOW)
    assert not robot_request_ok({}, APP_SECRET, now_ms=NOW)
    assert not robot_request_ok({"timestamp": "１２３", "sign": "x"}, APP_SECRET, now_ms=NOW)
    assert not robot_request_ok({"timestamp": "9" * 40, "sign": "x"}, APP_SECRET, now_ms=NOW)
    headers = robot_headers(NOW)
    headers["sign"] = "ü" + headers["sign"]
    assert not robot_request_ok(headers, APP_SECRET, now_ms=NOW)
    assert not card_request_ok(card_headers(NOW, secret="guess"), CARD_SECRET, now_ms=NOW)
    assert not card_request_ok(card_headers(NOW - 2 * HOUR), CARD_SECRET, now_ms=NOW)
