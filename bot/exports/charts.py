"""Charts as PNG (matplotlib, headless Agg): a burn-up/burn-down with milestones, and
completion by group as bars.

Rendering is CPU work (tens to hundreds of milliseconds): callers run ``render_*`` in a
worker thread (``asyncio.to_thread``) so the event loop keeps answering. Figures are built
with the object API (no pyplot state); the font settings are process-wide in matplotlib, so
one chart is drawn at a time.

Chinese labels need a CJK font: the first installed of ``CJK_FAMILIES`` (Debian's
``fonts-noto-cjk`` gives Noto Sans CJK SC), else any installed font that has the glyphs.
Without one, the chart is still drawn (a warning says Chinese will show as boxes).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

# Headless by construction: a Figure on an Agg canvas, never pyplot or a GUI backend.
from matplotlib import dates as mdates
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

logger = logging.getLogger("concord.charts")

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)
PROBE = "项目完成率里程碑部门任务"  # characters every Chinese chart label uses some of
SIZE = (8.0, 4.5)  # inches, at 100 dpi: 800 × 450 px
DPI = 100
COLORS = {"scope": "#8c8c8c", "done": "#2e9e5b", "remaining": "#e8833a", "milestone": "#5b6bd5"}
_drawing = threading.Lock()
EPOCH = date(1970, 1, 1)  # matplotlib's default ``date.epoch``


@dataclass(frozen=True)
class MilestoneMark:
    day: date
    label: str
    reached: bool


@dataclass(frozen=True)
class BurnLabels:
    title: str
    scope: str  # tasks in the plan
    done: str
    remaining: str
    axis: str  # the y axis: tasks


def has_glyphs(path: str | font_manager.FontPath, text: str) -> bool:
    charmap = font_manager.get_font(path).get_charmap()
    return all(ord(ch) in charmap for ch in text if not ch.isspace())


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name of an installed font that draws Chinese, or None."""
    installed = {entry.name: entry for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed and has_glyphs(_path(installed[family]), PROBE):
            return family
    for entry in font_manager.fontManager.ttflist:
        if has_glyphs(_path(entry), PROBE):
            return entry.name
    logger.warning("no CJK font installed (e.g. fonts-noto-cjk): Chinese in charts shows as boxes")
    return None


def _path(entry: font_manager.FontEntry) -> font_manager.FontPath:
    return font_manager.FontPath(entry.fname, entry.index)


@contextmanager
def drawing() -> Iterator[None]:
    """One chart at a time, with the CJK font in matplotlib's (process-wide) settings."""
    with _drawing, rc_context(_style()):
        yield


def _style() -> Any:  # matplotlib types rc keys as literals
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [*([family] if family else []), "DejaVu Sans"],
        "axes.unicode_minus": False,  # CJK fonts often lack U+2212
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def render_burn(
    labels: BurnLabels,
    days: Sequence[date],
    scope: Sequence[int],
    done: Sequence[int],
    milestones: Sequence[MilestoneMark] = (),
) -> bytes:
    """Tasks in the plan and tasks done per day (burn-up), what remains (burn-down), and
    the milestones as vertical lines (solid once reached)."""
    with drawing():
        return _png(burn_figure(labels, days, scope, done, milestones))


def burn_figure(
    labels: BurnLabels,
    days: Sequence[date],
    scope: Sequence[int],
    done: Sequence[int],
    milestones: Sequence[MilestoneMark] = (),
) -> Figure:
    """The figure of ``render_burn``; build and draw it inside ``drawing()``."""
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    remaining = [s - d for s, d in zip(scope, done, strict=True)]
    x = [_day_number(day) for day in days]
    axes.plot(x, scope, color=COLORS["scope"], label=labels.scope, linewidth=2)
    axes.fill_between(x, done, color=COLORS["done"], alpha=0.25)
    axes.plot(x, done, color=COLORS["done"], label=labels.done, linewidth=2)
    axes.plot(x, remaining, color=COLORS["remaining"], label=labels.remaining, linestyle="--")
    top = max([*scope, 1])
    for mark in milestones:
        axes.axvline(
            _day_number(mark.day),
            color=COLORS["milestone"],
            linestyle="-" if mark.reached else ":",
            linewidth=1,
        )
        axes.annotate(
            mark.label,
            (_day_number(mark.day), top),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
            color=COLORS["milestone"],
        )
    # Upcoming milestones stay in view: the axis runs to the last of them.
    ends = [x[0], x[-1], *(_day_number(m.day) for m in milestones)]
    axes.set_xlim(min(ends) - 0.5, max(ends) + 0.5)
    axes.set_ylim(0, top * 1.1)
    axes.set_ylabel(labels.axis)
    axes.set_title(labels.title)
    locator = mdates.AutoDateLocator(minticks=1, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)
    return figure


def render_completion(
    title: str, names: Sequence[str], done: Sequence[int], total: Sequence[int]
) -> bytes:
    """One bar per group: done of total, with ``3/5 · 60%`` beside it."""
    with drawing():
        return _png(completion_figure(title, names, done, total))


def completion_figure(
    title: str, names: Sequence[str], done: Sequence[int], total: Sequence[int]
) -> Figure:
    height = max(2.5, 0.5 * len(names) + 1.5)
    figure = Figure(figsize=(SIZE[0], height), dpi=DPI)
    axes = figure.add_subplot()
    rows = list(range(len(names)))[::-1]
    rates = [d / t if t else 0.0 for d, t in zip(done, total, strict=True)]
    axes.barh(rows, [1.0] * len(rows), color="#e6e6e6", height=0.6)
    axes.barh(rows, rates, color=COLORS["done"], height=0.6)
    for row, count, whole, rate in zip(rows, done, total, rates, strict=True):
        axes.text(1.02, row, f"{count}/{whole} · {rate:.0%}", va="center", fontsize=9)
    axes.set_yticks(rows, list(names))
    axes.set_xlim(0, 1.25)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_title(title)
    return figure


def _day_number(day: date) -> float:
    """matplotlib's date number (days since its 1970 epoch) of a calendar day."""
    return float((day - EPOCH).days)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
