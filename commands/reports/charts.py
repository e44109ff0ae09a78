"""The retrospective's charts: tasks over the project's life (burn-up and burn-down, with
the milestones) and completion by department — for ``report`` and the weekly digest
(``[schedule] digest_charts``).

Labels are looked up on the event loop (cheap); ``render`` draws in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.exports.tables import MIME_PNG
from bot.text.i18n import Translator
from bot.text.messages import Attachment
from commands.reports.retrospective import Burn, Figures, burn, compute
from storage.people import queries as people
from storage.rows import id_of
from storage.tables import Phase, Project
from storage.tasks import queries as tasks


@dataclass(frozen=True)
class ChartSpec:
    """Everything the two charts show, as plain data (handed to the drawing thread)."""

    title: str
    burn: Burn
    milestones: tuple[tuple[str, date, bool], ...]  # (phase, planned day, reached)
    groups: tuple[tuple[str, int, int], ...]  # (department, done, total)
    words: dict[str, str]
    burn_file: str
    completion_file: str


def spec(t: Translator, name: str, stem: str, burn: Burn, figures: Figures) -> ChartSpec:
    """``stem`` is the files' common start, ``project-YYYYMMDD``."""
    words = {k: t(f"retro.chart.{k}") for k in ("scope", "done", "remaining", "axis", "by_dept")}
    return ChartSpec(
        title=t("retro.chart.burn_title", name=name),
        burn=burn,
        milestones=tuple(
            (m.phase, m.planned, m.actual is not None) for m in figures.milestones if m.planned
        ),
        groups=tuple(
            (group, tally.done, tally.total)
            for group, tally in figures.by_department.items()
            if tally.total
        ),
        words=words,
        burn_file=f"{stem}-{t('retro.chart.burn_file')}.png",
        completion_file=f"{stem}-{t('retro.chart.completion_file')}.png",
    )


def render(chart: ChartSpec) -> list[Attachment]:
    """CPU-heavy: call through ``render_off_loop`` (or in a thread of your own)."""
    # matplotlib takes about half a second to import: only when a chart is drawn.
    from bot.exports import charts

    words = chart.words
    labels = charts.BurnLabels(
        chart.title, words["scope"], words["done"], words["remaining"], words["axis"]
    )
    marks = [charts.MilestoneMark(day, phase, reached) for phase, day, reached in chart.milestones]
    files = [
        Attachment(
            chart.burn_file,
            MIME_PNG,
            charts.render_burn(labels, chart.burn.days, chart.burn.scope, chart.burn.done, marks),
        )
    ]
    if chart.groups:
        names, done, total = zip(*chart.groups, strict=True)
        png = charts.render_completion(words["by_dept"], names, done, total)
        files.append(Attachment(chart.completion_file, MIME_PNG, png))
    return files


async def render_off_loop(chart: ChartSpec) -> list[Attachment]:
    return await asyncio.to_thread(render, chart)


async def digest_charts(
    session: AsyncSession,
    project: Project,
    phases: Sequence[Phase],
    *,
    locale: str,
    zone: ZoneInfo,
    now: datetime,
) -> list[Attachment]:
    """The two charts of ``project`` for its weekly digest, drawn off the event loop."""
    rows = list(await tasks.project_tasks(session, id_of(project)))
    ids = {t.department_id for t in rows if t.department_id is not None}
    names = {i: d.name for i, d in (await people.departments_by_ids(session, ids)).items()}
    t = Translator(locale)
    figures = compute(rows, phases, names, [], now, t("report.none"))
    today = now.astimezone(zone).date()
    life = burn(rows, start=project.start_date, today=today, zone=zone)
    stem = file_stem(project, today.strftime("%Y%m%d"), t("report.kind"))
    return await render_off_loop(spec(t, project.name, stem, life, figures))


def file_stem(project: Project, day: str, kind: str) -> str:
    """``项目名称-YYYYMMDD-复盘`` with characters unsafe in file names replaced."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", project.name).strip("_") or f"P{project.id}"
    return f"{safe}-{day}-{kind}"
