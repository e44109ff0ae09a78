"""Queue a file message straight into the outbox, as a command's reply would be."""

from __future__ import annotations

from bot.dates.clock import to_utc
from bot.main import App
from bot.text.messages import Attachment, Message, Section
from storage.db import transaction
from storage.delivery import outbox

SHEET = Attachment(
    "Apollo-20261126-retro.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    b"PK\x03\x04 spreadsheet bytes",
)
CHART = Attachment("Apollo-20261126-burnup.png", "image/png", b"\x89PNG\r\n\x1a\n chart")


async def queue_file(
    app: App, platform: str, chat: str, file: Attachment, caption: str = "", *, direct: bool = False
) -> int:
    message = Message((Section(caption),) if caption else (), attachment=file)
    async with transaction(app.sessions) as session:
        row = outbox.enqueue(
            session,
            platform=platform,
            chat_external_id=chat,
            payload=message.to_json(),
            now=to_utc(app.clock.now()),
            is_direct=direct,
        )
        await outbox.attach_file(session, row, file.data)
        assert row.id is not None
        return row.id
