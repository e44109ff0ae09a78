"""Files through the outbox: bytes stored with the row, uploaded once, posted once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from adapters.console.platform import ConsolePlatform
from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from bot.outbound.delivery import Deliverer
from bot.outbound.platform import PlatformError
from bot.settings import Settings
from bot.text.messages import Attachment, Message, Section, Target
from storage.db import transaction
from storage.delivery import outbox
from storage.tables import Outbox, OutboxFile
from tests.fakes.platform import FakePlatform

SHEET = Attachment("Apollo-20261126-retro.xlsx", "application/vnd.ms-excel", b"PK\x03\x04 bytes")


async def queue_file(app: App, chat: str, file: Attachment, caption: str = "") -> int:
    message = Message((Section(caption),) if caption else (), attachment=file)
    async with transaction(app.sessions) as session:
        row = outbox.enqueue(
            session,
            platform="slack",
            chat_external_id=chat,
            payload=message.to_json(),
            now=to_utc(app.clock.now()),
        )
        await outbox.attach_file(session, row, file.data)
        assert row.id is not None
        return row.id


def worker(app: App, clock: ManualClock, settings: Settings, fake: FakePlatform) -> Deliverer:
    return Deliverer(
        sessions=app.sessions, platforms={"slack": fake}, clock=clock, settings=settings.delivery
    )


async def stored(app: App, row_id: int) -> tuple[Outbox, OutboxFile | None]:
    async with transaction(app.sessions) as session:
        row = await session.get(Outbox, row_id)
        assert row is not None
        return row, await session.get(OutboxFile, row_id)


def test_the_payload_names_the_file_and_leaves_the_bytes_out() -> None:
    message = Message((Section("figures"),), attachment=SHEET)
    payload = message.to_json()
    assert "bytes" not in payload
    assert Message.from_json(payload, SHEET.data) == message
    assert Message.from_json(payload).attachment == Attachment(SHEET.name, SHEET.mime_type, b"")


async def test_a_file_is_uploaded_then_posted_and_its_bytes_dropped(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    fake = FakePlatform("slack", clock)
    row_id = await queue_file(app, "C1", SHEET, caption="Retrospective")
    _, file = await stored(app, row_id)
    assert file is not None
    assert (file.data, file.upload_ref) == (SHEET.data, None)

    assert await worker(app, clock, settings, fake).drain() == 1
    assert fake.uploads == [SHEET]
    assert fake.texts("C1") == [f"Retrospective[file {SHEET.name} upload-1]"]
    row, file = await stored(app, row_id)
    assert row.status == "sent"
    assert file is None


async def test_a_failed_post_is_retried_with_the_same_upload(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    fake = FakePlatform("slack", clock)
    row_id = await queue_file(app, "C1", SHEET)
    fake.fail_next(PlatformError("Slack error 503"))
    assert await worker(app, clock, settings, fake).drain() == 1
    row, file = await stored(app, row_id)
    assert (row.status, row.last_error) == ("pending", "Slack error 503")
    assert file is not None
    assert file.upload_ref == "upload-1"

    # A new worker (a restart) finds the bytes and the upload in the database.
    clock.advance(timedelta(minutes=1))
    assert await worker(app, clock, settings, fake).drain() == 1
    assert len(fake.uploads) == 1
    assert [d.kind for d in fake.deliveries] == ["file"]
    assert fake.texts("C1") == [f"[file {SHEET.name} upload-1]"]
    assert (await stored(app, row_id))[0].status == "sent"


async def test_a_failed_upload_uploads_again(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    fake = FakePlatform("slack", clock)
    row_id = await queue_file(app, "C1", SHEET)
    fake.fail_next_upload(PlatformError("Slack unreachable"))
    deliver = worker(app, clock, settings, fake)
    assert await deliver.drain() == 1
    row, file = await stored(app, row_id)
    assert file is not None
    assert (row.status, file.upload_ref) == ("pending", None)
    assert fake.deliveries == []

    clock.advance(timedelta(minutes=1))
    assert await deliver.drain() == 1
    assert fake.uploads == [SHEET]
    assert fake.texts("C1") == [f"[file {SHEET.name} upload-1]"]
    async with transaction(app.sessions) as session:
        assert (await session.exec(select(OutboxFile))).all() == []


async def test_the_console_writes_the_file_into_its_folder_and_prints_the_path(
    tmp_path: Path,
) -> None:
    printed: list[str] = []
    console = ConsolePlatform(printed.append, lambda: str(tmp_path / "out"))
    file = Attachment("../../etc/Apollo: 复盘?.csv", "text/csv", b"a,b\n")
    ref = await console.upload_file(Target("console", "console"), file)
    assert ref == str(tmp_path / "out" / "_.._etc_Apollo_ 复盘_.csv")
    assert (tmp_path / "out" / "_.._etc_Apollo_ 复盘_.csv").read_bytes() == b"a,b\n"
    await console.send_file(Target("console", "ops"), Message((), attachment=file), ref)
    assert printed == [f"[to ops] 📎 {file.name} → {ref}"]
