"""The retrospective as typed tables: one XLSX sheet (or CSV section) each.

Summary · by department · by phase (the project's totals as their last row) · milestones
(plan vs actual) · tasks · issues · issue statistics · approvals. Instants are shown in the
chat's time zone; rates are fractions in percent columns; durations are hours or days.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.dates.clock import to_aware_utc
from bot.exports.tables import Cell, Column, Kind, Table
from bot.inbound.context import Context
from commands.issues.views import sla_late
from commands.reports.data import Retro
from commands.reports.retrospective import (
    Tally,
    blocked_hours,
    decision_hours,
    is_cancelled,
    lateness_days,
)

TALLY_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("tasks", "int"),
    ("done", "int"),
    ("completion", "percent"),
    ("with_deadline", "int"),
    ("late", "int"),
    ("overdue_rate", "percent"),
    ("average_delay", "number"),
    ("blocked_hours", "number"),
)


def tables(ctx: Context, retro: Retro) -> list[Table]:
    return [
        summary(ctx, retro),
        _tallies(ctx, "departments", "department", retro, retro.figures.by_department),
        _tallies(ctx, "phases", "phase", retro, retro.figures.by_phase),
        milestones(ctx, retro),
        task_table(ctx, retro),
        issue_table(ctx, retro),
        issue_statistics(ctx, retro),
        approval_table(ctx, retro),
    ]


def _columns(ctx: Context, *names: tuple[str, Kind]) -> tuple[Column, ...]:
    return tuple(Column(ctx.t(f"retro.col.{name}"), kind) for name, kind in names)


def _with_cancelled(retro: Retro) -> bool:
    return retro.figures.overall.cancelled > 0


def _tally_cells(tally: Tally, cancelled: bool) -> tuple[Cell, ...]:
    cells: tuple[Cell, ...] = (
        tally.total,
        tally.done,
        tally.completion,
        tally.with_deadline,
        tally.late,
        tally.overdue_rate,
        round(tally.average_delay, 2),
        round(tally.blocked_hours, 2),
    )
    return (*cells, tally.cancelled) if cancelled else cells


def summary(ctx: Context, retro: Retro) -> Table:
    figures, issues, approvals = retro.figures, retro.issue_figures, retro.approvals
    cancelled = _with_cancelled(retro)
    names: list[tuple[str, Kind]] = [("project", "text"), ("date", "date"), *TALLY_COLUMNS]
    names += [("cancelled", "int")] if cancelled else []
    names += [
        ("issues", "int"),
        ("mean_triage_hours", "number"),
        ("mean_resolve_hours", "number"),
        ("sla_breaches", "int"),
        ("reopens", "int"),
        ("requests", "int"),
        ("decisions", "int"),
        ("rejections", "int"),
        ("decision_hours", "number"),
    ]
    table = Table(ctx.t("retro.sheet.summary"), _columns(ctx, *names))
    table.add(
        retro.project.name,
        ctx.today(),
        *_tally_cells(figures.overall, cancelled),
        issues.total,
        _hours(issues.mean_triage.total_seconds() if issues.mean_triage else None),
        _hours(issues.mean_resolve.total_seconds() if issues.mean_resolve else None),
        issues.triage_breaches + issues.plan_breaches,
        issues.reopens,
        approvals.requests,
        approvals.decisions,
        approvals.rejected,
        round(approvals.decision_hours, 2) if approvals.decisions else None,
    )
    return table


def _tallies(ctx: Context, sheet: str, key: str, retro: Retro, groups: dict[str, Tally]) -> Table:
    cancelled = _with_cancelled(retro)
    names: list[tuple[str, Kind]] = [(key, "text"), *TALLY_COLUMNS]
    names += [("cancelled", "int")] if cancelled else []
    table = Table(ctx.t(f"retro.sheet.{sheet}"), _columns(ctx, *names))
    for name, tally in groups.items():
        table.add(name, *_tally_cells(tally, cancelled))
    table.totals = (ctx.t("report.overall"), *_tally_cells(retro.figures.overall, cancelled))
    return table


def milestones(ctx: Context, retro: Retro) -> Table:
    table = Table(
        ctx.t("retro.sheet.milestones"),
        _columns(ctx, ("phase", "text"), ("planned", "date"), ("actual", "date"), ("slip", "int")),
    )
    for mark in retro.figures.milestones:
        slip = (mark.actual - mark.planned).days if mark.actual and mark.planned else None
        table.add(mark.phase, mark.planned, mark.actual, slip)
    return table


def task_table(ctx: Context, retro: Retro) -> Table:
    table = Table(
        ctx.t("retro.sheet.tasks"),
        _columns(
            ctx,
            ("task", "text"),
            ("title", "text"),
            ("status", "text"),
            ("phase", "text"),
            ("department", "text"),
            ("owner", "text"),
            ("created", "date"),
            ("due", "date"),
            ("finished", "datetime"),
            ("delay", "number"),
            ("blocked_hours", "number"),
        ),
    )
    phases = {p.id: p.name for p in retro.phases}
    now, none = ctx.now(), ctx.t("report.none")
    for task in retro.tasks:
        late = None if is_cancelled(task) else round(lateness_days(task, now), 2)
        table.add(
            f"T{task.number}",
            task.title,
            label(ctx, "status", task.status),
            phases.get(task.phase_id, none),
            retro.department(task.department_id, none),
            retro.member(task.owner_id),
            _day(ctx, task.created_at),
            _day(ctx, task.due_at),
            _local(ctx, task.done_at),
            late,
            round(blocked_hours(task, now), 2),
        )
    return table


def issue_table(ctx: Context, retro: Retro) -> Table:
    table = Table(
        ctx.t("retro.sheet.issues"),
        _columns(
            ctx,
            ("issue", "text"),
            ("title", "text"),
            ("category", "text"),
            ("department", "text"),
            ("urgency", "text"),
            ("status", "text"),
            ("reported", "datetime"),
            ("triaged", "datetime"),
            ("resolved", "datetime"),
            ("hours_to_triage", "number"),
            ("hours_to_resolve", "number"),
            ("triage_sla", "text"),
            ("plan_sla", "text"),
            ("reopens", "int"),
        ),
    )
    now, none = ctx.now(), ctx.t("report.none")
    for issue in retro.issues:
        table.add(
            f"I{issue.number}",
            issue.title,
            issue.category or none,
            retro.department(issue.primary_department_id, none),
            label(ctx, "issue.urgency", issue.urgency),
            label(ctx, "issue.status", issue.status),
            _local(ctx, issue.created_at),
            _local(ctx, issue.triaged_at),
            _local(ctx, issue.resolved_at),
            _since(issue.created_at, issue.triaged_at),
            _since(issue.created_at, issue.resolved_at),
            ctx.t("retro.sla_missed" if sla_late(issue, "triage", now) else "retro.sla_met"),
            ctx.t("retro.sla_missed" if sla_late(issue, "plan", now) else "retro.sla_met"),
            issue.reopen_count,
        )
    return table


def issue_statistics(ctx: Context, retro: Retro) -> Table:
    table = Table(
        ctx.t("retro.sheet.issue_stats"),
        _columns(ctx, ("dimension", "text"), ("name", "text"), ("count", "int")),
    )
    figures = retro.issue_figures
    for dimension, counts in (
        ("category", figures.by_category),
        ("department", figures.by_department),
        ("urgency", figures.by_urgency),
    ):
        for name, count in counts:
            table.add(ctx.t(f"retro.col.{dimension}"), name, count)
    return table


def approval_table(ctx: Context, retro: Retro) -> Table:
    table = Table(
        ctx.t("retro.sheet.approvals"),
        _columns(
            ctx,
            ("request", "text"),
            ("kind", "text"),
            ("step", "int"),
            ("approver", "text"),
            ("status", "text"),
            ("started", "datetime"),
            ("decided", "datetime"),
            ("hours_to_decide", "number"),
        ),
    )
    asks = {r.id: r for r in retro.requests}
    for step in retro.steps:
        ask = asks.get(step.subject_id) if step.subject_type == "request" else None
        table.add(
            f"R{ask.number}" if ask else ctx.t("retro.charter"),
            label(ctx, "request.kind", ask.kind) if ask else "",
            step.position,
            retro.member(step.decided_by or step.approver_id),
            label(ctx, "approval.status", step.status),
            _local(ctx, step.started_at),
            _local(ctx, step.decided_at),
            _rounded(decision_hours(step)),
        )
    return table


def label(ctx: Context, group: str, value: str) -> str:
    """The localized name of a state, or the state itself where there is none."""
    key = f"{group}.{value}"
    return ctx.t(key) if ctx.t.has(key) else value


def _local(ctx: Context, moment: datetime | None) -> datetime | None:
    return to_aware_utc(moment).astimezone(ctx.tz).replace(tzinfo=None) if moment else None


def _day(ctx: Context, moment: datetime | None) -> date | None:
    local = _local(ctx, moment)
    return local.date() if local else None


def _since(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    return _hours((to_aware_utc(end) - to_aware_utc(start)).total_seconds())


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
