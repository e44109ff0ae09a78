"""``report [xlsx|csv]`` / ``复盘 [表格|导出]``: the retrospective — its key figures in the
chat, the whole of it as a file (XLSX by default, or CSV), and two charts (tasks over the
project's life, completion by department), all sent in the chat.

Files are named ``项目名称-YYYYMMDD-复盘`` / ``project-YYYYMMDD-retro`` (by the chat's
language). The spreadsheet, CSV and charts are made in a worker thread: drawing takes a
few hundred milliseconds that the event loop must not wait.
"""

from __future__ import annotations

import asyncio

from bot.errors import UsageError
from bot.exports.csv_file import csv_file
from bot.exports.tables import MIME_CSV, MIME_XLSX, Table
from bot.exports.xlsx import workbook
from bot.inbound.context import Context
from bot.text.messages import Attachment, Message
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args, Family, Verb
from commands.reports import charts as report_charts
from commands.reports import data as report_data
from commands.reports import tables as report_tables
from commands.reports.retrospective import Figures, Tally

FORMATS = {
    "xlsx": "xlsx",
    "excel": "xlsx",
    "表格": "xlsx",
    "csv": "csv",
    "export": "csv",
    "导出": "csv",
}


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


async def show(ctx: Context, args: Args) -> None:
    word = (args.first_word() or "").lower()
    if word and word not in FORMATS:
        raise UsageError("error.report_format", usage="report", value=word)
    project = common.require_project(ctx)
    retro = await report_data.load(ctx, project)
    stem = report_charts.file_stem(project, ctx.today().strftime("%Y%m%d"), ctx.t("report.kind"))
    kind = FORMATS.get(word, "xlsx")
    tables = report_tables.tables(ctx, retro)
    charts = report_charts.spec(ctx.t, project.name, stem, retro.burn, retro.figures)
    files = await asyncio.to_thread(_files, f"{stem}.{kind}", tables, charts)
    msg = ctx.message()
    msg.header(ctx.t("report.header", name=project.name, date=str(ctx.today())))
    _summary(ctx, msg, retro.figures)
    _issues_and_approvals(ctx, msg, retro)
    msg.context(ctx.t("report.attached", name=files[0].name, count=len(retro.tasks)))
    ctx.reply(msg)
    for file in files:
        ctx.reply(Message((), attachment=file))


def _files(name: str, tables: list[Table], charts: report_charts.ChartSpec) -> list[Attachment]:
    """The export and the charts (CPU work: runs in a worker thread)."""
    if name.endswith(".csv"):
        export = Attachment(name, MIME_CSV, csv_file(tables))
    else:
        export = Attachment(name, MIME_XLSX, workbook(tables))
    return [export, *report_charts.render(charts)]


def _issues_and_approvals(ctx: Context, msg: MessageBuilder, retro: report_data.Retro) -> None:
    approvals, cancelled, issues = (
        retro.approvals,
        retro.figures.overall.cancelled,
        retro.issue_figures,
    )
    triage = issues.mean_triage.total_seconds() / 3600 if issues.mean_triage else 0.0
    breaches = issues.triage_breaches + issues.plan_breaches
    msg.context(ctx.t("report.issue_sla", triage=f"{triage:.1f}", breaches=breaches))
    msg.section(
        ctx.t(
            "report.approvals",
            requests=approvals.requests,
            decisions=approvals.decisions,
            rejected=approvals.rejected,
            hours=f"{approvals.decision_hours:.1f}",
        )
    )
    if cancelled:
        msg.context(ctx.t("report.cancelled", count=cancelled))


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


def family() -> Family:
    return Family(
        name="report",
        words=("report", "retro", "复盘"),
        usage="report",
        default=Verb(("report",), show, "report"),
    )
