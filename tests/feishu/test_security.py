"""Webhook requests: the AES vectors, signatures, tokens, and what is rejected how."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from adapters.feishu.security import (
    Credentials,
    RejectedRequest,
    decrypt,
    open_request,
    signature,
)
from tests.feishu.payloads import ENCRYPT_KEY, TOKEN, encrypt, fixture, message

NOW = 1_795_000_000.0
PLAIN = Credentials(verification_token=TOKEN, encrypt_key="")
SEALED = Credentials(verification_token=TOKEN, encrypt_key=ENCRYPT_KEY)


def signed(body: bytes, *, key: str = ENCRYPT_KEY, stamp: float = NOW) -> CIMultiDict[str]:
    nonce = "n0nce"
    return CIMultiDict(
        {
            "x-lark-request-timestamp": str(int(stamp)),  # any case: aiohttp's headers
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": signature(str(int(stamp)), nonce, key, body),
        }
    )


def test_the_documented_aes_vector_decrypts() -> None:
    vector = fixture("aes_test_vector.json")
    assert decrypt(vector["encrypt"], vector["encrypt_key"]) == vector["plaintext"]


def test_the_node_sdk_challenge_decrypts_and_is_answered() -> None:
    key = fixture("url_verification_encrypted.key.json")
    body = json.dumps(fixture("url_verification_encrypted.json")).encode()
    creds = Credentials(
        verification_token="iRdCP2WwXNBXRM3mGLqhrgch3cn0gbT6", encrypt_key=key["encrypt_key"]
    )
    payload = open_request(body, {}, creds, now=NOW)  # the handshake is not signed
    assert payload == json.loads(key["expected_plaintext"])
    assert {"challenge": payload["challenge"]} == key["expected_response"]


def test_a_signed_encrypted_event_opens() -> None:
    event = message("帮助")
    body = json.dumps({"encrypt": encrypt(json.dumps(event), ENCRYPT_KEY)}).encode()
    assert open_request(body, signed(body), SEALED, now=NOW) == event


def test_a_plain_event_with_the_token_opens() -> None:
    event = message("帮助")
    assert open_request(json.dumps(event).encode(), {}, PLAIN, now=NOW) == event


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'{"encrypt": 5}', "encrypt is not a string"),
        (b'{"encrypt": "!!!not base64"}', "cannot decrypt the body"),
        (b'{"encrypt": "AAAAAAAAAAAAAAAAAAAAAA=="}', "cannot decrypt the body"),
        (
            json.dumps({"encrypt": encrypt("[]", ENCRYPT_KEY)}).encode(),
            "decrypted body is not a JSON object",
        ),
    ],
)
def test_malformed_bodies_are_400(body: bytes, reason: str) -> None:
    with pytest.raises(RejectedRequest) as caught:
        open_request(body, signed(body), SEALED, now=NOW)
    assert (caught.value.status, caught.value.reason) == (400, reason)


def test_encrypted_bodies_without_a_key_are_400() -> None:
    body = json.dumps({"encrypt": encrypt("{}", ENCRYPT_KEY)}).encode()
    with pytest.raises(RejectedRequest) as caught:
        open_request(body, {}, PLAIN, now=NOW)
    assert caught.value.status == 400


def sealed(event: dict[str, object]) -> bytes:
    return json.dumps({"encrypt": encrypt(json.dumps(event), ENCRYPT_KEY)}).encode()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (lambda body: signed(body, key="forged"), "bad signature"),
        (lambda body: signed(b"another body"), "bad signature"),
        (lambda body: signed(body, stamp=NOW - 301), "stale request"),
        (lambda body: signed(body, stamp=NOW + 301), "stale request"),
        (lambda body: {}, "unsigned request"),
        (lambda body: {**signed(body), "X-Lark-Request-Timestamp": "soon"}, "bad timestamp"),
    ],
)
def test_forged_or_stale_signatures_are_401(headers: object, reason: str) -> None:
    body = sealed(message("帮助"))
    with pytest.raises(RejectedRequest) as caught:
        open_request(body, headers(body), SEALED, now=NOW)  # type: ignore[operator]
    assert (caught.value.status, caught.value.reason) == (401, reason)


def test_a_wrong_or_missing_verification_token_is_401() -> None:
    wrong = message("帮助")
    wrong["header"]["token"] = "not-the-token"
    missing = message("帮助")
    del missing["header"]["token"]
    challenge = {"challenge": "c", "type": "url_verification", "token": "nope"}
    for event in (wrong, missing, challenge):
        with pytest.raises(RejectedRequest) as caught:
            open_request(json.dumps(event).encode(), {}, PLAIN, now=NOW)
        assert caught.value.status == 401
    with pytest.raises(RejectedRequest):
        open_request(sealed(wrong), signed(sealed(wrong)), SEALED, now=NOW)
