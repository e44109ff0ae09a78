"""Files to DingTalk: media/upload, then a sampleFile / sampleImageMsg robot message — and a
retry after a 5xx posts the same media id once."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.dates.clock import ManualClock
from storage.tables import Outbox, OutboxFile
from tests.dingtalk.conftest import GROUP, DingTalkRig
from tests.files_helpers import CHART, SHEET, queue_file

SEND = "/v1.0/robot/groupMessages/send"


def accepted_sends(rig: DingTalkRig) -> list[tuple[str, dict[str, str]]]:
    return [
        (c.body["msgKey"], json.loads(c.body["msgParam"]))
        for c in rig.fake.named(SEND)
        if c.response and not c.response.get("failed")
    ]


async def test_a_spreadsheet_is_uploaded_then_sent_as_a_file(rig: DingTalkRig) -> None:
    await queue_file(rig.app, "dingtalk", GROUP, SHEET, caption="复盘")
    assert await rig.app.deliver() == 1

    [upload] = rig.fake.named("/media/upload")
    assert upload.query["type"] == "file"
    assert upload.query["access_token"] in rig.fake.valid_tokens
    [(media_id, stored)] = rig.fake.media.items()
    assert stored == {"type": "file", "name": SHEET.name, "data": SHEET.data}
    [send] = rig.fake.named(SEND)
    assert send.body["openConversationId"] == GROUP
    assert accepted_sends(rig) == [
        ("sampleFile", {"mediaId": media_id, "fileName": SHEET.name, "fileType": "xlsx"})
    ]
    [row] = await rig.rows(Outbox)
    assert row.status == "sent"
    assert await rig.rows(OutboxFile) == []


async def test_a_chart_is_sent_as_a_picture(rig: DingTalkRig) -> None:
    await queue_file(rig.app, "dingtalk", GROUP, CHART)
    assert await rig.app.deliver() == 1
    [(media_id, stored)] = rig.fake.media.items()
    assert stored["type"] == "image"
    assert accepted_sends(rig) == [("sampleImageMsg", {"photoURL": media_id})]


async def test_a_5xx_on_the_send_sends_the_same_media_once(
    rig: DingTalkRig, clock: ManualClock
) -> None:
    rig.fake.fail(SEND, status=500, code="ServiceUnavailable", message="busy")
    await queue_file(rig.app, "dingtalk", GROUP, SHEET)
    assert await rig.app.deliver() == 1
    [row] = await rig.rows(Outbox)
    assert row.status == "pending"
    [(media_id, _)] = rig.fake.media.items()
    [stored] = await rig.rows(OutboxFile)
    assert stored.upload_ref == media_id

    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert len(rig.fake.named("/media/upload")) == 1
    assert len(rig.fake.named(SEND)) == 2  # refused, then sent
    assert [key for key, _ in accepted_sends(rig)] == ["sampleFile"]
    assert [r.status for r in await rig.rows(Outbox)] == ["sent"]


async def test_a_5xx_on_the_upload_uploads_again(rig: DingTalkRig, clock: ManualClock) -> None:
    rig.fake.fail("/media/upload", status=503, errcode=-1, errmsg="busy")
    await queue_file(rig.app, "dingtalk", GROUP, CHART)
    assert await rig.app.deliver() == 1
    assert rig.fake.named(SEND) == []
    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert len(rig.fake.named("/media/upload")) == 2
    assert len(rig.fake.media) == 1
    assert [key for key, _ in accepted_sends(rig)] == ["sampleImageMsg"]


async def test_a_file_for_a_person_goes_to_their_single_chat(rig: DingTalkRig) -> None:
    await queue_file(rig.app, "dingtalk", "user-bob", SHEET, direct=True)
    assert await rig.app.deliver() == 1
    [send] = rig.fake.named("/v1.0/robot/oToMessages/batchSend")
    assert send.body["userIds"] == ["user-bob"]
    assert send.body["msgKey"] == "sampleFile"
