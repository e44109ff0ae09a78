"""Signed, expiring links to a project's board pages (``[web]``).

A token names the project, the language and time zone the pages are shown in, and when it
expires, and carries an HMAC-SHA256 of that under ``[web] secret``: without the secret it
can be neither guessed nor changed. ``verify`` answers None for anything wrong — a bad
signature, a malformed token, an expired one — so a refusal reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.dates.clock import Clock, to_utc
from bot.settings import WebSettings

VERSION = "1"


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: reading one project's pages until ``expires_at``."""

    project_id: int
    locale: str
    zone: str
    expires_at: datetime


class LinkSigner:
    def __init__(self, settings: WebSettings, clock: Clock) -> None:
        if not settings.secret:
            raise ValueError("board links need [web] secret")
        self.key = settings.secret.encode()
        self.public_url = settings.public_url.rstrip("/")
        self.lifetime = timedelta(hours=settings.link_hours)
        self.clock = clock

    def token(self, project_id: int, locale: str, zone: str) -> str:
        expires = int((to_utc(self.clock.now()) + self.lifetime).timestamp())
        payload = "|".join((VERSION, str(project_id), str(expires), locale, zone)).encode()
        return f"{_encode(payload)}.{_encode(self._sign(payload))}"

    def url(self, project_id: int, locale: str, zone: str) -> str:
        return f"{self.public_url}/board/{self.token(project_id, locale, zone)}"

    def verify(self, token: str) -> Grant | None:
        body, _, signature = token.partition(".")
        try:
            payload, given = _decode(body), _decode(signature)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(given, self._sign(payload)):
            return None
        try:
            version, project, expires, locale, zone = payload.decode().split("|")
            grant = Grant(int(project), locale, zone, datetime.fromtimestamp(int(expires), tz=UTC))
        except ValueError:
            return None
        if version != VERSION or grant.expires_at <= to_utc(self.clock.now()):
            return None
        return grant

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.key, b"concord-board|" + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    if not text or len(text) > 400:
        raise ValueError("not a token")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
