"""The read-only web board: a project's kanban, issues and approvals behind signed links."""
