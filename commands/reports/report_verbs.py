"""``report`` / ``复盘``: retrospective figures in the chat, and a CSV export on request."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args, Family, Verb
from commands.reports.retrospective import Figures, Tally, blocked_hours, compute, lateness_days
from commands.tasks.views import status_label
from storage.projects import queries as projects
from storage.reports import retrospective as report
from storage.rows import id_of
from storage.tables import Project, Task
from storage.tasks import queries as tasks


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def _tally_line(ctx: Context, name: str, tally: Tally) -> str:
    return ctx.t(
        "report.tally",
        name=name,
        done=tally.done,
        total=tally.total,
        completion=_percent(tally.completion),
        late=tally.late,
        overdue_rate=_percent(tally.overdue_rate),
        delay=f"{tally.average_delay:.1f}",
        blocked=f"{tally.blocked_hours:.1f}",
    )


async def _figures(ctx: Context, project: Project) -> tuple[Figures, list[Task]]:
    rows = list(await tasks.project_tasks(ctx.session, id_of(project)))
    phases = await projects.phases(ctx.session, id_of(project))
    departments = await common.department_map(ctx, [t.department_id for t in rows])
    issues = await report.project_issues(ctx.session, id_of(project))
    names = {i: d.name for i, d in departments.items()}
    return compute(rows, phases, names, issues, ctx.now(), ctx.t("report.none")), rows


async def show(ctx: Context, args: Args) -> None:
    word = (args.first_word() or "").lower()
    if word and word not in ("csv", "export", "导出"):
        raise UsageError("error.report_format", usage="report", value=word)
    project = common.require_project(ctx)
    figures, rows = await _figures(ctx, project)
    msg = ctx.message()
    msg.header(ctx.t("report.header", name=project.name, date=str(ctx.today())))
    _summary(ctx, msg, figures)
    if word:
        path = write_csv(ctx, project, rows)
        msg.context(ctx.t("report.exported", path=str(path), count=len(rows)))
    ctx.reply(msg)


def _summary(ctx: Context, msg: MessageBuilder, figures: Figures) -> None:
    msg.section(_tally_line(ctx, ctx.t("report.overall"), figures.overall))
    msg.lines(
        [
            ctx.t("report.by_department"),
            *[
                "• " + _tally_line(ctx, name, tally)
                for name, tally in figures.by_department.items()
            ],
        ]
    )
    msg.lines(
        [
            ctx.t("report.by_phase"),
            *["• " + _tally_line(ctx, name, tally) for name, tally in figures.by_phase.items()],
        ]
    )
    if figures.milestones:
        msg.lines(
            [
                ctx.t("report.milestones"),
                *[
                    "• "
                    + ctx.t(
                        "report.milestone",
                        phase=m.phase,
                        planned=str(m.planned or "—"),
                        actual=str(m.actual or "—"),
                        slip=(m.actual - m.planned).days if m.actual and m.planned else "—",
                    )
                    for m in figures.milestones
                ],
            ]
        )
    msg.section(
        ctx.t(
            "report.issues",
            total=figures.issues_total,
            closed=figures.issues_closed,
            reopened=figures.issues_reopened,
            hours=f"{figures.issue_resolve_hours:.1f}",
            urgency=", ".join(
                f"{ctx.t('report.urgency_' + u)} {n}"
                for u, n in sorted(figures.issues_by_urgency.items())
            )
            or "—",
        )
    )


def export_name(project: Project, day: str, kind: str) -> str:
    """``项目名称-日期-类型`` with characters unsafe in file names replaced."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", project.name).strip("_") or f"P{project.id}"
    return f"{safe}-{day}-{kind}.csv"


def write_csv(ctx: Context, project: Project, rows: list[Task]) -> Path:
    folder = Path(ctx.settings.exports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / export_name(project, str(ctx.today()), ctx.t("report.kind"))
    headers = [
        ctx.t(f"report.col_{c}")
        for c in ("ref", "title", "status", "due", "done", "delay", "blocked")
    ]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel opens it right
        writer = csv.writer(handle)
        writer.writerow(headers)
        now = ctx.now()
        for task in rows:
            writer.writerow(
                [
                    f"T{task.number}",
                    task.title,
                    status_label(ctx, task.status),
                    timefmt.moment(ctx, task.due_at, task.due_has_time),
                    timefmt.moment(ctx, task.done_at),
                    f"{lateness_days(task, now):.1f}",
                    f"{blocked_hours(task, now):.1f}",
                ]
            )
    return path


def family() -> Family:
    return Family(
        name="report",
        words=("report", "retro", "复盘"),
        usage="report",
        default=Verb(("report",), show, "report"),
    )
