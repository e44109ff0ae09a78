"""The board in a real browser: Debian's Chromium, headless, driven by Playwright.

Loads the page ``board`` links to, checks the columns and a card as a person sees them,
and saves screenshots (desktop and phone width) under ``tmp/artifacts/``. Runs wherever
Chromium is installed (``.ci/run`` installs it); skips elsewhere, except in CI.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright

from tests.conftest_requires import require
from tests.web.conftest import BoardRig

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALLED = Path(CHROMIUM).exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts"  # gitignored
# Without these the closed network makes Chromium hang on its background connections.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[BrowserContext]:
    require(INSTALLED, "Chromium", "apt-get install chromium")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="concord-chromium-") as profile:
        async with async_playwright() as driver:
            context = await driver.chromium.launch_persistent_context(
                profile,  # a fresh --user-data-dir
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1280, "height": 800},
            )
            try:
                yield context
            finally:
                await context.close()


async def test_the_board_in_chromium_on_a_desktop_and_a_phone(
    board_rig: BoardRig, browser: BrowserContext
) -> None:
    started = time.perf_counter()
    url = str(board_rig.client.make_url(await board_rig.link()))
    page = await browser.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    headings = await page.locator("section.column h2").all_inner_texts()
    assert [h.splitlines()[0] for h in headings] == [
        "to do",
        "in progress",
        "in review",
        "blocked",
        "done",
    ]
    assert [h.splitlines()[-1] for h in headings] == ["2", "1", "0", "1", "1"]
    first = page.locator('article[data-ref="T1"]')
    assert await first.locator("h3").inner_text() == "T1 Write the <spec>"
    assert await first.locator(".badge.late").inner_text() == "overdue"
    assert await first.locator("dd.owner").inner_text() == "carol"
    assert await first.locator("dd.due").inner_text() == "11-20"
    column = page.locator('section[data-status="blocked"]')
    assert await column.locator('article[data-ref="T3"] .badge.stop').inner_text() == "blocked"
    # The overdue card is drawn with its red edge.
    edge = await first.evaluate("card => getComputedStyle(card).borderLeftColor")
    assert edge == "rgb(207, 34, 46)"
    desktop = await _columns_side_by_side(page)
    await page.screenshot(path=str(ARTIFACTS / "board-desktop.png"), full_page=True)

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    phone = await _columns_side_by_side(page)
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    await page.screenshot(path=str(ARTIFACTS / "board-phone.png"), full_page=True)
    assert desktop >= 4  # columns side by side on a desktop …
    assert phone == 1  # … one under the other on a phone,
    assert overflow <= 0  # and nothing wider than the screen

    issues = await browser.new_page()
    await issues.goto(url + "/issues?lang=zh-CN")
    assert await issues.locator("nav a[aria-current]").inner_text() == "问题"
    assert "Login fails" in await issues.locator("tbody").inner_text()
    await issues.set_viewport_size({"width": 390, "height": 844})
    await issues.screenshot(path=str(ARTIFACTS / "issues-phone-zh.png"), full_page=True)
    print(f"browser test: {time.perf_counter() - started:.2f} s")


async def test_an_expired_link_shows_nothing_in_the_browser(
    board_rig: BoardRig, browser: BrowserContext
) -> None:
    url = str(board_rig.client.make_url(await board_rig.link()))
    board_rig.clock.advance(timedelta(hours=25))
    page = await browser.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 403
    assert (await page.locator("body").inner_text()).strip() == "403 Forbidden"


async def _columns_side_by_side(page: Page) -> int:
    """How many board columns share the first row of the layout."""
    tops = await page.evaluate(
        "[...document.querySelectorAll('section.column')].map(c => c.getBoundingClientRect().top)"
    )
    return sum(1 for top in tops if abs(top - tops[0]) < 1)
