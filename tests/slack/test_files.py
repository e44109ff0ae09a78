"""Files to Slack: getUploadURLExternal, the bytes to the upload URL, completeUploadExternal
— and a retry after a 5xx shares the same upload once."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.dates.clock import ManualClock
from storage.tables import Outbox, OutboxFile
from tests.files_helpers import CHART, SHEET, queue_file
from tests.slack.conftest import SlackRig


def shared_ids(rig: SlackRig) -> list[str]:
    return [entry["id"] for body in rig.fake.shared for entry in _files(body)]


def _files(body: dict[str, object]) -> list[dict[str, str]]:
    files = body["files"]
    parsed: list[dict[str, str]] = json.loads(files) if isinstance(files, str) else files  # type: ignore[assignment]
    return parsed


async def test_a_file_is_uploaded_and_shared_in_the_channel(rig: SlackRig) -> None:
    await queue_file(rig.app, "slack", "C111", SHEET, caption="Retrospective of **Apollo**")
    assert await rig.app.deliver() == 1

    [ask] = rig.fake.named("files.getUploadURLExternal")
    assert ask.body == {"filename": SHEET.name, "length": str(len(SHEET.data))}
    assert rig.fake.uploads == {"F001": SHEET.data}
    [complete] = rig.fake.named("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C111"
    assert complete.body["initial_comment"] == "Retrospective of Apollo"
    assert _files(complete.body) == [{"id": "F001", "title": SHEET.name}]
    assert rig.fake.named("chat.postMessage") == []
    [row] = await rig.rows(Outbox)
    assert (row.status, row.platform_message_id) == ("sent", "F001")
    assert await rig.rows(OutboxFile) == []


async def test_a_5xx_on_the_share_retries_the_share_only(rig: SlackRig, clock: ManualClock) -> None:
    rig.fake.fail("files.completeUploadExternal", status=500, error="internal_error")
    await queue_file(rig.app, "slack", "C111", CHART)
    assert await rig.app.deliver() == 1
    [row] = await rig.rows(Outbox)
    assert row.status == "pending"
    [stored] = await rig.rows(OutboxFile)
    assert stored.upload_ref == "F001"

    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert len(rig.fake.named("files.getUploadURLExternal")) == 1
    assert rig.fake.upload_attempts == 1
    assert len(rig.fake.named("files.completeUploadExternal")) == 2  # refused, then shared
    assert shared_ids(rig) == ["F001"]  # posted exactly once
    assert [r.status for r in await rig.rows(Outbox)] == ["sent"]


async def test_a_5xx_on_the_upload_uploads_again(rig: SlackRig, clock: ManualClock) -> None:
    rig.fake.fail_upload(503)
    await queue_file(rig.app, "slack", "C111", CHART)
    assert await rig.app.deliver() == 1
    [row] = await rig.rows(Outbox)
    assert row.status == "pending"
    assert "503" in (row.last_error or "")
    assert rig.fake.named("files.completeUploadExternal") == []

    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert rig.fake.upload_attempts == 2
    assert rig.fake.uploads == {"F002": CHART.data}
    assert shared_ids(rig) == ["F002"]


async def test_a_file_for_a_person_goes_to_their_dm(rig: SlackRig) -> None:
    await queue_file(rig.app, "slack", "U222", SHEET, direct=True)
    assert await rig.app.deliver() == 1
    assert rig.fake.named("conversations.open")[0].body == {"users": "U222"}
    [complete] = rig.fake.named("files.completeUploadExternal")
    assert complete.body["channel_id"] == "D222"
    assert "initial_comment" not in complete.body
