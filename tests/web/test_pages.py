"""The board pages over HTTP: what they show, in both languages, and the signed links —
a wrong, tampered, foreign or expired token gets the same bare 403."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.dates.clock import ManualClock
from bot.errors import ConfigError
from bot.main import load_settings
from bot.settings import WebSettings
from bot.web.links import LinkSigner
from tests.web.conftest import SECRET, BoardRig

FORBIDDEN = "403 Forbidden\n"


def columns(page: str) -> dict[str, list[str]]:
    """Column status → the refs of its cards, in order."""
    out: dict[str, list[str]] = {}
    for status, body in re.findall(
        r'<section class="column" data-status="(\w+)">(.*?)</section>', page, re.S
    ):
        out[status] = re.findall(r'data-ref="(T\d+)"', body)
    return out


def card(page: str, ref: str) -> str:
    found = re.search(rf'<article class="([^"]*)" data-ref="{ref}">(.*?)</article>', page, re.S)
    assert found, ref
    return found.group(1) + found.group(2)


async def test_board_hands_out_a_link_to_the_kanban(board_rig: BoardRig) -> None:
    out = await board_rig.console.say("board")
    assert "🌐 Open in browser: http://board.test/board/" in out
    assert "(works until 11-24 09:00)" in out  # link_hours = 24
    status, page, headers = await board_rig.get(await board_rig.link())
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "<h1>P1 Apollo</h1>" in page
    assert columns(page) == {
        "todo": ["T1", "T4"],
        "in_progress": ["T2"],
        "in_review": [],
        "blocked": ["T3"],
        "done": ["T5"],
    }
    assert '<h2>to do <span class="count">2</span></h2>' in page
    overdue = card(page, "T1")
    assert overdue.startswith("card overdue")
    assert "Write the &lt;spec&gt;" in overdue  # escaped, never markup
    assert '<dd class="owner">carol</dd>' in overdue
    assert '<dd class="department">研发部</dd>' in overdue
    assert '<dd class="due">11-20</dd>' in overdue
    assert '<span class="badge late">overdue</span>' in overdue
    blocked = card(page, "T3")
    assert blocked.startswith("card blocked")
    assert '<p class="note">waiting for legal</p>' in blocked
    assert "badge late" not in card(page, "T2")
    assert "<script" not in page.lower()
    assert "http" not in re.sub(r'href="[^"]*"', "", page.split("</style>")[0])  # no CDN


async def test_the_issues_and_approvals_pages(board_rig: BoardRig) -> None:
    base = await board_rig.link()
    status, page, _ = await board_rig.get(base + "/issues")
    assert status == 200
    assert '<td data-label="Issue">I1</td>' in page
    assert "Login fails" in page
    assert '<td data-label="Urgency">high</td>' in page
    status, page, _ = await board_rig.get(base + "/approvals")
    assert status == 200
    assert '<td data-label="Request">R1</td>' in page
    assert '<td data-label="Requested by">carol</td>' in page
    assert '<td data-label="Waiting for">bob, due 11-25 09:00</td>' in page


async def test_chinese_pages(board_rig: BoardRig) -> None:
    await board_rig.console.say("settings locale:zh-CN")
    base = await board_rig.link("看板")
    status, page, _ = await board_rig.get(base)
    assert status == 200
    assert '<html lang="zh-CN">' in page
    assert '<h2>未开始 <span class="count">2</span></h2>' in page
    assert '<dt>负责人</dt><dd class="owner">carol</dd>' in page
    assert '<span class="badge late">逾期</span>' in page
    assert '<a class="lang" href="?lang=en" hreflang="en">English</a>' in page
    _, english, _ = await board_rig.get(base + "?lang=en")
    assert '<html lang="en">' in english
    _, issues, _ = await board_rig.get(base + "/issues")
    assert '<td data-label="紧急程度">高</td>' in issues


async def test_a_wrong_token_gets_a_bare_403(board_rig: BoardRig) -> None:
    good = await board_rig.link()
    body, _, signature = good.removeprefix("/board/").partition(".")
    tampered = f"/board/{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{signature}"
    foreign = LinkSigner(
        WebSettings(enabled=True, public_url="http://x", secret="another-secret-0123456789"),
        board_rig.clock,
    ).url(1, "en", "Asia/Shanghai")
    for path in (
        tampered,
        f"/board/{body}.{signature[::-1]}",
        "/board/not-a-token",
        "/board/" + "A" * 500 + ".x",
        "/board/" + foreign.split("/board/")[1],
        good + "/settings",
    ):
        status, text, headers = await board_rig.get(path)
        assert (status, text) == (403, FORBIDDEN), path
        assert headers["Cache-Control"] == "no-store"


async def test_an_expired_link_gets_the_same_403(board_rig: BoardRig, clock: ManualClock) -> None:
    path = await board_rig.link()
    clock.advance(timedelta(hours=23, minutes=59))
    assert (await board_rig.get(path))[0] == 200
    clock.advance(timedelta(minutes=1))
    assert (await board_rig.get(path))[:2] == (403, FORBIDDEN)
    assert (await board_rig.get(path + "/issues"))[:2] == (403, FORBIDDEN)


async def test_a_link_to_a_project_that_is_gone_gets_the_403(board_rig: BoardRig) -> None:
    signer = LinkSigner(board_rig.app.settings.web, board_rig.clock)
    path = "/board/" + signer.url(99, "en", "Asia/Shanghai").split("/board/")[1]
    assert (await board_rig.get(path))[:2] == (403, FORBIDDEN)


def test_tokens_are_signed_with_the_secret() -> None:
    clock = ManualClock(datetime(2026, 11, 23, tzinfo=UTC))
    web = WebSettings(enabled=True, public_url="http://x/", secret=SECRET)
    signer = LinkSigner(web, clock)
    token = signer.token(7, "zh-CN", "Asia/Shanghai")
    grant = signer.verify(token)
    assert grant is not None
    assert (grant.project_id, grant.locale, grant.zone) == (7, "zh-CN", "Asia/Shanghai")
    assert signer.url(7, "en", "UTC").startswith("http://x/board/")
    other = LinkSigner(WebSettings(secret=SECRET + "!"), clock)
    assert other.verify(token) is None
    assert html.escape(token) == token  # safe in HTML and URLs as it is


def test_the_web_section_is_checked_and_read_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "concord.toml"
    config.write_text('[web]\nenabled = true\npublic_url = "https://board.example.com"\n')
    with pytest.raises(ConfigError, match=r"web\.secret"):
        load_settings(config, {})
    settings = load_settings(config, {"CONCORD_WEB_SECRET": SECRET, "CONCORD_WEB_LINK_HOURS": "2"})
    assert (settings.web.secret, settings.web.link_hours) == (SECRET, 2)
    config.write_text('[web]\nenabled = true\npublic_url = "board.example.com"\n')
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        load_settings(config, {"CONCORD_WEB_SECRET": SECRET})
