"""Files to Feishu: im/v1/files or im/v1/images, then a file or image message — and a
retry after a 5xx posts the same key once."""

from __future__ import annotations

from datetime import timedelta

from bot.dates.clock import ManualClock
from storage.tables import Outbox, OutboxFile
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.rig import FeishuRig
from tests.files_helpers import CHART, SHEET, queue_file

GROUP = "oc_files"


def file_posts(fake: FakeFeishu) -> list[tuple[str, object]]:
    """(msg_type, content) of every message the fake accepted."""
    return [
        (p.body["msg_type"], p.content)
        for p in fake.posts()
        if p.response.get("code") == 0 and p.body["msg_type"] in ("file", "image")
    ]


async def test_a_spreadsheet_is_uploaded_then_posted_as_a_file(rig: FeishuRig) -> None:
    row_id = await queue_file(rig.app, "feishu", GROUP, SHEET, caption="复盘")
    assert await rig.app.deliver() == 1

    [upload] = rig.fake.uploads
    assert upload["route"] == "files.create"
    assert upload["fields"] == {"file_type": "xls", "file_name": SHEET.name}
    assert upload["data"] == SHEET.data
    [post] = rig.fake.posts()
    assert post.body["receive_id"] == GROUP
    assert (post.body["msg_type"], post.content) == ("file", {"file_key": "file_fake0001"})
    assert post.body["uuid"] == f"outbox:{row_id}"
    [row] = await rig.rows(Outbox)
    assert row.status == "sent"
    assert await rig.rows(OutboxFile) == []


async def test_a_chart_goes_up_as_an_image(rig: FeishuRig) -> None:
    await queue_file(rig.app, "feishu", GROUP, CHART)
    assert await rig.app.deliver() == 1
    [upload] = rig.fake.uploads
    assert (upload["route"], upload["fields"]) == ("images.create", {"image_type": "message"})
    assert file_posts(rig.fake) == [("image", {"image_key": "img_fake0001"})]


async def test_a_5xx_on_the_post_posts_the_same_upload_once(
    rig: FeishuRig, clock: ManualClock
) -> None:
    rig.fake.fail("messages.create", status=500, code=0, msg="internal error")
    await queue_file(rig.app, "feishu", GROUP, SHEET)
    assert await rig.app.deliver() == 1
    [row] = await rig.rows(Outbox)
    assert row.status == "pending"
    [stored] = await rig.rows(OutboxFile)
    assert stored.upload_ref == "file:file_fake0001"

    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert len(rig.fake.uploads) == 1
    assert len(rig.fake.named("files.create")) == 1
    assert file_posts(rig.fake) == [("file", {"file_key": "file_fake0001"})]
    assert [r.status for r in await rig.rows(Outbox)] == ["sent"]


async def test_a_5xx_on_the_upload_uploads_again(rig: FeishuRig, clock: ManualClock) -> None:
    rig.fake.fail("images.create", status=502, code=0, msg="bad gateway")
    await queue_file(rig.app, "feishu", GROUP, CHART)
    assert await rig.app.deliver() == 1
    assert rig.fake.posts() == []
    clock.advance(timedelta(minutes=1))
    assert await rig.app.deliver() == 1
    assert len(rig.fake.named("images.create")) == 2
    assert [u["key"] for u in rig.fake.uploads] == ["img_fake0001"]
    assert file_posts(rig.fake) == [("image", {"image_key": "img_fake0001"})]
