"""The owning department's step shows requests already approved for the same person or item
in an overlapping window (in both languages); other items and windows do not conflict."""

from __future__ import annotations

import pytest

from bot.main import App
from tests.console_driver import ConsoleDriver
from tests.request_helpers import setup, steps_of

FLOW = {
    "en": """
        :as alice
        request new material "Exhibition booth" qty:2 from:12-01 to:12-05 purpose:"Fair" return:"Back to admin"
        :as bob
        request R1 approve
        :as dave
        request R1 approve
        :as carol
        request new material "exhibition  BOOTH" from:12-04 to:12-08 purpose:"Roadshow" return:"Back to admin"
        request new material "Exhibition booth" from:12-06 to:12-09 purpose:"Later" return:"Back"
        request new material "Banner stand" from:12-01 to:12-05 purpose:"Other" return:"Back"
        :as bob
        request R2 approve
        request R3 approve
        request R4 approve
    """,
    "zh-CN": """
        :as alice
        申请 新建 物料 "活动展架" 数量:2 从:12-01 至:12-05 用途:"展会" 归还:"归还行政部"
        :as bob
        申请 R1 同意
        :as dave
        申请 R1 同意
        :as carol
        申请 物料 "活动展架" 从:12-04 至:12-08 用途:"路演" 归还:"归还行政部"
        申请 物料 "活动展架" 从:12-06 至:12-09 用途:"之后" 归还:"归还"
        申请 物料 "易拉宝" 从:12-01 至:12-05 用途:"其他" 归还:"归还"
        :as bob
        申请 R2 同意
        申请 R3 同意
        申请 R4 同意
    """,
}
CONFLICT = {
    "en": "⚠ Conflicts (1) — already approved for an overlapping window:\n"
    "• R1 (P1 Apollo) Exhibition booth · 12-01 → 12-05 · @alice · approved",
    "zh-CN": "⚠ 冲突（1） — 同一资源在重叠时段已获批：\n"
    "• R1（P1 阿波罗）活动展架 · 12-01 → 12-05 · @alice · 已通过",
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_conflict_with_an_approved_request_is_shown_on_the_card(
    console: ConsoleDriver, app: App, locale: str
) -> None:
    await setup(console, locale)
    out = await console.run(FLOW[locale])
    # R2's step-2 card (group and dave's DM) carries the conflict; R3 and R4 do not.
    assert out.count(CONFLICT[locale]) == 2, out
    r1, r2, r3, r4 = [await steps_of(app, n) for n in (1, 2, 3, 4)]
    assert r1[1].conflicts is None
    assert r2[1].conflicts == str(r1[0].subject_id)
    assert r3[1].conflicts is None
    assert r4[1].conflicts is None
    shown = await console.run({"en": "request R2", "zh-CN": "申请 R2"}[locale])
    assert CONFLICT[locale] in shown


async def test_people_conflict_is_about_the_person(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    out = await console.run("""
        :as alice
        dept add Design leader:@dina
        member @grace dept:Design
        request new people "Visual designer" @grace from:12-01 to:12-10 purpose:"Landing page" return:"Back to Design"
        :as bob
        request R1 approve
        :as dina
        request R1 approve
        :as carol
        request new people "Illustrator" @grace from:12-09 to:12-12 purpose:"Posters" return:"Back"
        request new people "Illustrator" @hank dept:Design from:12-09 to:12-12 purpose:"Posters" return:"Back"
        :as bob
        request R2 approve
        request R3 approve
    """)
    assert "Owning department: Design" in out  # the person's department by default
    assert "Person: @grace" in out
    assert "• R1 (P1 Apollo) Visual designer · 12-01 → 12-10 · @alice · approved" in out
    r1, r2, r3 = [await steps_of(app, n) for n in (1, 2, 3)]
    assert r2[1].conflicts == str(r1[0].subject_id)
    assert r3[1].conflicts is None
