"""``my`` shows what waits for the actor (approvals, also as a delegate; answers to
suggestions; receipts; confirmations), ``request list`` filters, and the locale files agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.main import App
from tests.console_driver import ConsoleDriver
from tests.request_helpers import setup

LOCALES = Path(__file__).parents[2] / "bot" / "text" / "locales"


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_my_lists_what_waits_for_me(console: ConsoleDriver, locale: str) -> None:
    await setup(console, locale)
    en = locale == "en"
    await console.run(
        """
        member @erin delegate:@fay
        :as carol
        request new budget "Ads" amount:800 from:12-01 to:12-05 purpose:"p" return:"r"
        request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r"
        :as bob
        request R1 approve
        request R2 approve
        :as dave
        request R2 suggest "Take the small booth" qty:1
        :as alice
        project charter
        """
    )
    bob = await console.run(":as bob\nmy")
    fay = await console.run(":as fay\nmy")
    carol = await console.run(":as carol\nmy")
    if en:
        assert "Waiting for you — approvals and requests (1)" in bob
        assert "• P1 Apollo · charter sign-off for Engineering, due 11-25 09:00" in bob
        assert (
            "• P1 Apollo · R1 budget: Ads — your approval (step 2), due 11-25 09:00 (for @erin)"
            in fay
        )
        assert "• P1 Apollo · charter sign-off for Finance, due 11-25 09:00 (for @erin)" in fay
        assert (
            "• P1 Apollo · R2 Booth — change suggested: “Take the small booth”. "
            "`request R2 accept` or `request R2 withdraw`" in carol
        )
    else:
        assert "等你处理 — 审批与申请（1）" in bob
        assert "• P1 阿波罗 · 项目章程签署（研发部），截止 11-25 09:00" in bob
        assert (
            "• P1 阿波罗 · R1 预算：Ads — 待你审批（第 2 步），截止 11-25 09:00（代 @erin）" in fay
        )
        assert "• P1 阿波罗 · R2 Booth — 审批人建议调整：“Take the small booth”。" in carol
    await console.run(":as carol\nrequest R2 accept\nrequest R2 received")
    assert "R2 Booth —" not in await console.run("my")  # in use, nothing to do yet
    assert ("Quantity: 1" if en else "数量: 1") in await console.run("request R2")
    await console.run('request R2 return "Back at the desk"')
    dave = await console.run(":as dave\nmy")
    line = {
        "en": "• P1 Apollo · R2 Booth — handed back by @carol (Back at the desk); confirm: `request R2 confirm`",
        "zh-CN": "• P1 阿波罗 · R2 Booth — @carol 已归还（Back at the desk），请确认：`申请 R2 确认`",
    }[locale]
    assert line in dave


async def test_request_list_filters(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    await console.run("""
        :as carol
        request new budget "Ads" amount:800 from:12-01 to:12-05 purpose:"p" return:"r"
        :as alice
        request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r"
        request R2 withdraw
    """)
    out = await console.run("request")
    assert (
        "Open requests (1)\nR1 budget · Ads · 800.00 CNY · 12-01 → 12-05 — @carol · step 1/2 with @bob (due 11-25 09:00)"
        in out
    )
    assert "Booth" not in out
    assert (
        "My requests (1)\nR2 material · Booth · 12-01 → 12-05 — @alice · withdrawn"
        in await console.run("request list mine")
    )
    assert "No request is waiting for your approval." in await console.run("request list pending")
    assert "Waiting for my approval (1)\nR1" in await console.run(":as bob\nrequest list pending")
    assert "All requests (2)" in await console.run("request list all")
    assert "“someday” is not a list filter" in await console.run("request list someday")


def _keys(path: Path) -> set[str]:
    def walk(prefix: str, table: dict[str, object]) -> set[str]:
        out: set[str] = set()
        for key, value in table.items():
            full = f"{prefix}.{key}" if prefix else key
            out |= walk(full, value) if isinstance(value, dict) else {full}
        return out

    return walk("", tomllib.loads(path.read_text(encoding="utf-8")))


def test_request_catalogs_have_the_same_keys() -> None:
    en = _keys(LOCALES / "en" / "requests.toml")
    zh = _keys(LOCALES / "zh-CN" / "requests.toml")
    assert en == zh
    assert {"approval.button.approve", "approval.button.reject", "approval.button.suggest"} <= en


async def test_help_lists_requests_in_both_languages(console: ConsoleDriver) -> None:
    assert "request / 申请 — resource requests" in await console.run("help")
    console.set_locale("zh-CN")
    out = await console.run("帮助 申请")
    assert '申请 R2 驳回 "理由"' in out
    assert '项目 章程 [状态|同意|驳回 "理由"]' in await console.run("帮助 项目")
