"""The port every adapter implements to deliver neutral messages."""

from __future__ import annotations

from typing import Protocol

from bot.text.messages import Message, Target


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
