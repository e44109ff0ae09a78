"""The composition root: the only core package allowed to import ``commands`` and
``adapters``. ``app`` builds one Concord from settings, ``serving`` runs ``concord serve``,
``runs`` the other sub-commands."""

from __future__ import annotations

from bot.main.app import App, build_app, create_adapters, load_settings, scheduled_jobs
from bot.main.runs import console, database, demo, outbox_command, seed_demo
from bot.main.serving import Server, serve, start_server

__all__ = [
    "App",
    "Server",
    "build_app",
    "console",
    "create_adapters",
    "database",
    "demo",
    "load_settings",
    "outbox_command",
    "scheduled_jobs",
    "seed_demo",
    "serve",
    "start_server",
]
