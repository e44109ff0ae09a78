"""Shared setup and database probes for the resource-request and approval tests."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, col, select

from bot.main import App
from bot.scheduler import JobContext
from commands.requests import jobs as approval_job
from storage.tables import (
    ApprovalStep,
    AuditLog,
    Escalation,
    Member,
    NotificationKey,
    Outbox,
    Project,
    ResourceRequest,
)
from tests.console_driver import ConsoleDriver

# Engineering (leader bob) asks; Finance (leader erin) owns budgets; Administration (dave)
# owns material; alice owns the project, sam sponsors it.
SETUP = {
    "en": """
        :as alice
        dept add Engineering leader:@bob
        dept add Finance leader:@erin
        dept add Administration leader:@dave
        member @carol dept:Engineering
        member @alice dept:Engineering
        project new "Apollo" depts:Engineering,Finance sponsor:@sam
    """,
    "zh-CN": """
        :as alice
        部门 新建 研发部 领导:@bob
        部门 新建 财务部 领导:@erin
        部门 新建 行政部 领导:@dave
        成员 @carol 部门:研发部
        成员 @alice 部门:研发部
        项目 新建 "阿波罗" 参与部门:研发部,财务部 发起人:@sam
    """,
}

WATCHED: tuple[type[SQLModel], ...] = (
    ResourceRequest,
    ApprovalStep,
    AuditLog,
    Outbox,
    Project,
    NotificationKey,
    Escalation,
    Member,
)


async def setup(console: ConsoleDriver, locale: str) -> str:
    console.set_locale(locale)
    return await console.run(SETUP[locale])


async def all_rows(app: App, model: type[Any]) -> list[Any]:
    order = model.id if hasattr(model, "id") else model.key
    async with app.sessions() as session:
        return list((await session.exec(select(model).order_by(col(order)))).all())


async def snapshot(app: App) -> dict[str, list[dict[str, Any]]]:
    """Every row a refused action could have touched."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with app.sessions() as session:
        for model in WATCHED:
            rows = [r for r in (await session.exec(select(model))).all() if not _refusal(r)]
            out[model.__name__] = sorted(
                (r.model_dump() for r in rows), key=lambda d: str(sorted(d.items()))
            )
    return out


def _refusal(row: SQLModel) -> bool:
    """Answers in the console chat itself ("no, because …", "nothing is waiting") are queued
    like every reply but change nothing; cards, DMs and notices elsewhere are compared."""
    return (
        isinstance(row, Outbox)
        and row.platform == "console"
        and not row.is_direct
        and row.card_key is None
        and row.kind in ("send", "ephemeral")
        and row.chat_external_id == "console"
    )


async def steps_of(app: App, request_number: int = 1) -> list[ApprovalStep]:
    async with app.sessions() as session:
        request = (
            await session.exec(
                select(ResourceRequest).where(ResourceRequest.number == request_number)
            )
        ).one()
        query = select(ApprovalStep).where(
            ApprovalStep.subject_type == "request", ApprovalStep.subject_id == request.id
        )
        return list((await session.exec(query.order_by(col(ApprovalStep.position)))).all())


async def request_row(app: App, number: int = 1) -> ResourceRequest:
    async with app.sessions() as session:
        query = select(ResourceRequest).where(ResourceRequest.number == number)
        return (await session.exec(query)).one()


async def audit_actions(app: App) -> list[tuple[str, str]]:
    return [(row.action, row.entity) for row in await all_rows(app, AuditLog)]


async def run_job(console: ConsoleDriver) -> str:
    """One scheduler pass of the approvals job at the console clock, then delivery."""
    app = console.app
    start = len(console.output)
    ctx = JobContext(
        app.sessions, app.settings, app.scheduler.calendar, console.session.clock.now()
    )
    await approval_job.run(ctx)
    await app.deliver()
    return "".join(console.output[start:])
