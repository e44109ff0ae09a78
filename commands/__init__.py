"""Concord's commands: one module per family, registered explicitly in ``all_families``.

Imports ``bot`` and ``storage`` only; never a platform SDK or ``adapters``.
"""

from __future__ import annotations

from commands import (
    approval_inbox,
    board,
    digest,
    escalations,
    help,
    issues,
    meeting_lists,
    meetings,
    people,
    plans,
    projects,
    report,
    requests,
    settings,
    tasks,
)
from commands.framework import CommandRouter, Family


def all_families() -> tuple[Family, ...]:
    families: list[Family] = [
        projects.project_family(),
        projects.phase_family(),
        tasks.family(),
        issues.family(),
        requests.family(),
        meetings.family(),
        plans.family(),
        *board.families(
            my_sections=(issues.my_issues, approval_inbox.my_approvals, meeting_lists.my_minutes)
        ),
        *people.families(),
        escalations.family(),
        report.family(),
        digest.family(),
        settings.family(),
    ]
    return (help.family(families), *families)


def router() -> CommandRouter:
    return CommandRouter(all_families())
