"""The port every adapter implements to deliver neutral messages."""

from __future__ import annotations

from typing import Protocol

from bot.text.messages import Attachment, Message, Target


class PlatformError(Exception):
    """A delivery failed. ``retry_after`` (seconds) when the platform said when to retry;
    ``permanent`` when retrying cannot help (bad channel, revoked token)."""

    def __init__(
        self, detail: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.permanent = permanent


class Platform(Protocol):
    name: str

    async def send(self, target: Target, message: Message) -> str:
        """Post ``message``; return the platform's id of the posted message."""
        ...

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        """Replace a message posted earlier (cards updated in place)."""
        ...

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        """Show ``message`` in ``target`` to one person only (or DM them where unsupported)."""
        ...

    async def upload_file(self, target: Target, file: Attachment) -> str:
        """Upload a file's bytes for ``target``, posting nothing yet; the platform's
        reference to the upload (a file id or key). The outbox remembers it, so a retry
        after a failed post does not upload again."""
        ...

    async def send_file(self, target: Target, message: Message, file_ref: str) -> str:
        """Post the uploaded file (``message.attachment``, uploaded as ``file_ref``) in
        ``target``; return the id of the posted message."""
        ...
