"""A Chinese project with departments, tasks and a material request, typed in one group.

王小丽 (alice01, 研发部) asks; 张伟 (zhangwei) leads 研发部; 李娜 (lina) leads 行政部,
which owns the material. Mentions arrive as DingTalk sends them: ``@name`` in the text
and the person in ``atUsers``.
"""

from __future__ import annotations

from storage.tables import ApprovalStep
from tests.dingtalk.conftest import DingTalkRig

ZHANG = (("$:LWCP_v1:$zhang", "zhangwei"),)
LI = (("$:LWCP_v1:$li", "lina"),)
ALICE = (("$:LWCP_v1:$alice", "alice01"),)

REQUEST = (
    '申请 新建 物料 "活动展架 2 个" 从:2026-12-01 至:2026-12-05 '
    '用途:"618大促活动支持" 归还:"用完归还行政部" 部门:行政部'
)


async def departments(rig: DingTalkRig) -> None:
    await rig.say("部门 新建 研发部 部门负责人:@张伟", at=ZHANG)
    await rig.say("部门 新建 行政部 部门负责人:@李娜", at=LI)
    await rig.say("成员 @王小丽 部门:研发部", at=ALICE)
    await rig.say('项目 新建 "阿波罗" 参与部门:研发部,行政部')


async def request_card(rig: DingTalkRig) -> ApprovalStep:
    """Set up, file the request, and return its first (pending) step."""
    await departments(rig)
    await rig.say(REQUEST)
    steps = sorted(await rig.rows(ApprovalStep), key=lambda s: s.id)
    return steps[0]


async def board(rig: DingTalkRig) -> None:
    await rig.say('项目 新建 "阿波罗" 参与部门:研发部,市场部')
    await rig.say('阶段 新建 "需求调研" 里程碑:2026-12-01')
    await rig.say('任务 新建 "写方案" 阶段:需求调研 负责人:@张伟 截止:D+2', at=ZHANG)
    await rig.say('任务 新建 "预订场地" 负责人:@李娜 部门:市场部 截止:2026-11-20', at=LI)
    await rig.say('任务 新建 "设计评审" 负责人:@王小丽', at=ALICE)
    await rig.say('任务 T3 阻塞 "等设计稿"')
    await rig.say("任务 T1 开始")
