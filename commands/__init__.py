"""Concord's commands: one package per family (verbs, views, access rules, jobs), registered
explicitly in ``all_families``.

Imports ``bot`` and ``storage`` only; never a platform SDK or ``adapters``.
"""

from __future__ import annotations

from commands import help
from commands.escalations import verbs as escalations
from commands.framework import CommandRouter, Family
from commands.issues import verbs as issues
from commands.meetings import lists as meeting_lists
from commands.meetings import verbs as meetings
from commands.people import chat_settings as settings
from commands.people import verbs as people
from commands.plans import verbs as plans
from commands.projects import verbs as projects
from commands.reports import digest_verbs as digest
from commands.reports import report_verbs as report
from commands.requests import inbox as approval_inbox
from commands.requests import verbs as requests
from commands.tasks import board
from commands.tasks import verbs as tasks


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
