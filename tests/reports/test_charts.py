"""Charts: drawn headless, Chinese labels in a font that has their glyphs, and rendering
kept off the event loop."""

from __future__ import annotations

import asyncio
import time
import warnings
from datetime import date, timedelta

import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from bot.exports import charts
from tests.conftest_requires import require

PNG = b"\x89PNG\r\n\x1a\n"
LABELS = charts.BurnLabels("阿波罗 任务燃尽图", "计划任务", "已完成", "剩余", "任务数")
DAYS = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
SCOPE = [min(4 + n // 2, 12) for n in range(30)]
DONE = [min(n // 3, SCOPE[n]) for n in range(30)]
MARKS = [
    charts.MilestoneMark(date(2026, 11, 12), "方案设计", True),
    charts.MilestoneMark(date(2026, 12, 8), "上线", False),
]


def chinese(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def picked_fonts(figure: Figure) -> dict[str, font_manager.FontPath]:
    """For every label with Chinese in it: the font (file and face) matplotlib picks."""
    found: dict[str, font_manager.FontPath] = {}
    for text in figure.findobj(Text):
        if isinstance(text, Text) and chinese(text.get_text()):
            found[text.get_text()] = font_manager.findfont(text.get_fontproperties())
    return found


def test_a_chinese_chart_picks_a_font_with_the_glyphs() -> None:
    require(charts.cjk_family() is not None, "A CJK font", "apt-get install fonts-noto-cjk")
    with charts.drawing():
        figure = charts.burn_figure(LABELS, DAYS, SCOPE, DONE, MARKS)
        fonts = picked_fonts(figure)
        assert set(fonts) >= {"阿波罗 任务燃尽图", "计划任务", "已完成", "剩余", "任务数", "上线"}
        for text, path in fonts.items():
            family = font_manager.get_font(path).family_name
            assert charts.has_glyphs(path, chinese(text)), (text, family)
            assert family == charts.cjk_family()
        bars = charts.completion_figure("各部门完成情况", ["研发部", "市场部"], [3, 1], [5, 4])
        assert set(picked_fonts(bars)) >= {"各部门完成情况", "研发部", "市场部"}
    # matplotlib warns "Glyph … missing from font(s)" for a box; warnings are errors here.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert charts.render_burn(LABELS, DAYS, SCOPE, DONE, MARKS).startswith(PNG)
        assert charts.render_completion("各部门", ["研发部"], [1], [2]).startswith(PNG)


def test_the_default_latin_font_would_show_boxes() -> None:
    """The check above can fail: DejaVu Sans (matplotlib's own font) has no Chinese."""
    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert charts.has_glyphs(dejavu, "Tasks")
    assert not charts.has_glyphs(dejavu, "任务")


def test_a_single_day_and_an_empty_project_still_draw() -> None:
    assert charts.render_burn(LABELS, [date(2026, 11, 1)], [0], [0]).startswith(PNG)
    assert charts.render_completion("x", [], [], []).startswith(PNG)


async def test_drawing_in_a_thread_leaves_the_loop_free() -> None:
    """What ``report`` does: the loop keeps ticking while a chart is drawn."""
    charts.render_burn(LABELS, DAYS, SCOPE, DONE, MARKS)  # warm up (fonts, caches)
    started = time.perf_counter()
    charts.render_burn(LABELS, DAYS, SCOPE, DONE, MARKS)
    on_loop = time.perf_counter() - started

    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    await asyncio.to_thread(charts.render_burn, LABELS, DAYS, SCOPE, DONE, MARKS)
    ticker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ticker
    # Drawn on the loop, one gap would be the whole drawing; in a thread, the loop only
    # waits for the GIL between bytecode slices.
    assert max(gaps) < on_loop / 2, (max(gaps), on_loop)
