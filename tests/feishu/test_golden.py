"""Golden files: the exact card JSON 2.0 Concord sends to Feishu, in Chinese, pinned in
tests/golden/feishu/ (rewrite with ``CONCORD_UPDATE_GOLDEN=1``, then read the diff)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.feishu.fake_feishu import Call
from tests.feishu.rig import FeishuRig

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "feishu"
SETUP = (
    "部门 新建 研发部 部门负责人:<@ou_bob>",
    "部门 新建 行政部 部门负责人:<@ou_carol>",
    "成员 <@ou_alice> 部门:研发部",
    '项目 新建 "Apollo" 部门:研发部,行政部',
)
REQUEST = (
    '申请 新建 物料 "活动展架 2 个" 从:2026-12-01 至:2026-12-05 '
    '用途:"618大促活动支持" 归还:"归还行政部" 部门:行政部'
)
BOARD = (
    '项目 新建 "Apollo" 部门:研发部,市场部',
    '阶段 新建 "需求调研" 里程碑:2026-12-01',
    '任务 新建 "写需求" 阶段:需求调研 负责人:<@ou_bob> 截止:D+2',
    '任务 新建 "订场地" 负责人:<@ou_carol> 部门:市场部 截止:2026-11-20',
    '任务 新建 "设计评审" 负责人:<@ou_alice>',
    '任务 T3 阻塞 "等待设计稿"',
    "任务 T1 开始",
)


def assert_golden(name: str, data: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("CONCORD_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with CONCORD_UPDATE_GOLDEN=1 to create it"
    assert json.loads(path.read_text(encoding="utf-8")) == data, f"{path.name} differs"


async def new_posts(rig: FeishuRig, *lines: str) -> list[Call]:
    before = len(rig.fake.posts())
    for line in lines:
        await rig.command(line)
    return rig.fake.posts()[before:]


async def test_golden_approval_card(rig: FeishuRig) -> None:
    await new_posts(rig, *SETUP)
    posts = await new_posts(rig, REQUEST)
    cards = [
        p for p in posts if p.body["msg_type"] == "interactive" and "approval" in p.body["content"]
    ]
    group = [c for c in cards if c.body.get("receive_id") == "oc_group"]
    assert group, [p.content for p in posts]
    assert_golden("approval_card", group[0].content)


async def test_golden_board(rig: FeishuRig) -> None:
    await new_posts(rig, *BOARD)
    [board] = await new_posts(rig, "看板")
    assert board.body["msg_type"] == "interactive"
    assert_golden("board", board.content)


async def test_golden_digest(rig: FeishuRig) -> None:
    await new_posts(rig, *BOARD, "任务 T1 完成", '问题 上报 "安卓端无法登录" 紧急:high')
    [digest] = await new_posts(rig, "周报")
    assert_golden("digest", digest.content)
