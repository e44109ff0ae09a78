"""``issue stats [days:N | since:D]`` / ``问题 统计``: the coordinator's weekly statistics (§2).

The population is the issues reported in the window (default: the last 7 days): counts by
category, department (primary, or "awaiting triage") and urgency; the top category's share
("登录问题占比30%"); mean time from report to triage and to resolution; SLA breaches; reopens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.dates.clock import to_aware_utc, to_utc
from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args
from commands.issues.views import sla_late, urgency_label
from commands.parsing.dates import parse_date
from storage.issues import queries as issues
from storage.rows import id_of
from storage.tables import Issue, IssueStatus, Urgency

STATS_OPTIONS = frozenset({"days", "since", "from", "天数"})
DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True)
class Figures:
    total: int
    by_category: list[tuple[str, int]]
    by_department: list[tuple[str, int]]
    by_urgency: list[tuple[str, int]]
    top_category: tuple[str, int] | None
    mean_triage: timedelta | None
    mean_resolve: timedelta | None
    triage_breaches: int
    plan_breaches: int
    reopens: int
    still_open: int


def window(ctx: Context, args: Args) -> datetime:
    """The start of the window (UTC); it ends now."""
    if args.text():
        raise UsageError("error.issue_stats_args", usage="issue.stats", value=args.text())
    days = args.option("days") or args.option("天数")
    since = args.option("since") or args.option("from")
    if since:
        day = parse_date(since, today=ctx.today(), calendar=ctx.calendar)
        if day > ctx.today():
            raise UsageError("error.issue_since_future", usage="issue.stats", value=since)
        return to_utc(datetime.combine(day, time(0), tzinfo=ctx.tz))
    if days is None:
        return ctx.now_utc() - timedelta(days=DEFAULT_DAYS)
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        raise UsageError("error.issue_bad_days", usage="issue.stats", value=days, max=MAX_DAYS)
    return ctx.now_utc() - timedelta(days=int(days))


def _mean(spans: Sequence[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None


def _since_report(
    rows: Sequence[Issue], moment: Callable[[Issue], datetime | None]
) -> list[timedelta]:
    out = []
    for issue in rows:
        when = moment(issue)
        if when is not None:
            out.append(to_aware_utc(when) - to_aware_utc(issue.created_at))
    return out


def _ranked(counter: Counter[str], last: str | None = None) -> list[tuple[str, int]]:
    """Most frequent first; the ``last`` bucket ("no category", "awaiting triage") at the end."""
    return sorted(counter.items(), key=lambda item: (item[0] == last, -item[1], item[0]))


async def figures(ctx: Context, rows: Sequence[Issue]) -> Figures:
    departments = await common.department_map(ctx, [i.primary_department_id for i in rows])
    no_category, untriaged = ctx.t("issue.stats_no_category"), ctx.t("issue.status.open")
    categories = Counter(i.category or no_category for i in rows)
    named = Counter(i.category for i in rows if i.category)
    by_department = Counter(
        departments[i.primary_department_id].name
        if i.primary_department_id in departments
        else untriaged
        for i in rows
    )
    urgencies = Counter(i.urgency for i in rows)
    now = ctx.now()
    return Figures(
        total=len(rows),
        by_category=_ranked(categories, no_category),
        by_department=_ranked(by_department, untriaged),
        by_urgency=[(urgency_label(ctx, u), urgencies[u]) for u in Urgency],
        top_category=_ranked(named)[0] if named else None,
        mean_triage=_mean(_since_report(rows, lambda i: i.triaged_at)),
        mean_resolve=_mean(_since_report(rows, lambda i: i.resolved_at)),
        triage_breaches=sum(1 for i in rows if sla_late(i, "triage", now)),
        plan_breaches=sum(1 for i in rows if sla_late(i, "plan", now)),
        reopens=sum(i.reopen_count for i in rows),
        still_open=sum(1 for i in rows if i.status != IssueStatus.CLOSED),
    )


def _counts(items: list[tuple[str, int]]) -> str:
    return " · ".join(f"{name} {count}" for name, count in items) or "—"


async def stats(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    start = window(ctx, args)
    rows = await issues.reported_between(
        ctx.session, project_id=id_of(project), since=start, until=ctx.now_utc()
    )
    msg = ctx.message()
    msg.header(
        ctx.t(
            "issue.stats_header",
            name=project.name,
            start=timefmt.moment(ctx, start, False),
            end=timefmt.moment(ctx, ctx.now_utc(), False),
        )
    )
    if not rows:
        msg.section(ctx.t("issue.stats_empty"))
        ctx.reply(msg)
        return
    data = await figures(ctx, rows)
    msg.fields(_fields(ctx, data))
    if data.top_category is not None:
        name, count = data.top_category
        msg.section(
            ctx.t("issue.stats_top", category=name, percent=round(100 * count / data.total))
        )
    ctx.reply(msg)


def _fields(ctx: Context, data: Figures) -> list[tuple[str, str]]:
    def span(value: timedelta | None) -> str:
        return timefmt.span(ctx.t, value) if value is not None else "—"

    return [
        (
            ctx.t("issue.stats.total"),
            ctx.t("issue.stats_total", total=data.total, open=data.still_open),
        ),
        (ctx.t("issue.stats.category"), _counts(data.by_category)),
        (ctx.t("issue.stats.department"), _counts(data.by_department)),
        (ctx.t("issue.stats.urgency"), _counts(data.by_urgency)),
        (ctx.t("issue.stats.mean_triage"), span(data.mean_triage)),
        (ctx.t("issue.stats.mean_resolve"), span(data.mean_resolve)),
        (
            ctx.t("issue.stats.breaches"),
            ctx.t(
                "issue.stats_breaches",
                total=data.triage_breaches + data.plan_breaches,
                triage=data.triage_breaches,
                plan=data.plan_breaches,
            ),
        ),
        (ctx.t("issue.stats.reopens"), str(data.reopens)),
    ]
