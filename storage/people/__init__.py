"""Members, their platform identities, departments and chats."""

from __future__ import annotations
