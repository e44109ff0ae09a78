"""Everything the retrospective shows, loaded once: rows, names and computed figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.inbound.context import Context
from commands import common
from commands.issues import stats as issue_stats
from commands.reports.retrospective import Approvals, Burn, Figures, approval_figures, burn, compute
from storage.people import queries as people
from storage.projects import queries as projects
from storage.reports import retrospective as report
from storage.requests import queries as requests
from storage.rows import id_of
from storage.tables import ApprovalStep, Issue, Phase, Project, ResourceRequest, Task
from storage.tasks import queries as tasks


@dataclass
class Retro:
    project: Project
    tasks: list[Task]
    phases: Sequence[Phase]
    departments: dict[int, str]  # department id → name
    members: dict[int, str]  # member id → name (owners, approvers)
    issues: Sequence[Issue]
    requests: Sequence[ResourceRequest]
    steps: Sequence[ApprovalStep]
    figures: Figures
    issue_figures: issue_stats.Figures
    approvals: Approvals
    burn: Burn

    def department(self, department_id: int | None, none: str) -> str:
        return self.departments.get(department_id or 0, none)

    def member(self, member_id: int | None) -> str:
        return self.members.get(member_id or 0, "")


async def load(ctx: Context, project: Project) -> Retro:
    project_id = id_of(project)
    rows = list(await tasks.project_tasks(ctx.session, project_id))
    phases = await projects.phases(ctx.session, project_id)
    issues = await report.project_issues(ctx.session, project_id)
    asks = await requests.project_requests(ctx.session, project_id=project_id)
    steps = await report.project_approval_steps(ctx.session, project_id)
    department_ids = [t.department_id for t in rows] + [i.primary_department_id for i in issues]
    departments = {i: d.name for i, d in (await common.department_map(ctx, department_ids)).items()}
    member_ids = {t.owner_id for t in rows} | {s.approver_id for s in steps}
    member_ids |= {s.decided_by for s in steps} | {r.requester_id for r in asks}
    found = await people.members_by_ids(ctx.session, {i for i in member_ids if i is not None})
    return Retro(
        project=project,
        tasks=rows,
        phases=phases,
        departments=departments,
        members={i: m.name or "" for i, m in found.items()},
        issues=issues,
        requests=asks,
        steps=steps,
        figures=compute(rows, phases, departments, issues, ctx.now(), ctx.t("report.none")),
        issue_figures=await issue_stats.figures(ctx, issues),
        approvals=approval_figures(asks, steps),
        burn=burn(rows, start=project.start_date, today=ctx.today(), zone=ctx.tz),
    )
