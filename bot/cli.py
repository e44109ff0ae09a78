"""``concord`` command line: console, serve, db upgrade, demo, outbox, --version."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import __version__
from bot.dates.clock import ManualClock, ShiftedClock, SystemClock
from bot.errors import ConfigError
from bot.settings import Settings
from bot.text.i18n import normalize_locale
from storage.single_process import DatabaseInUse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concord",
        description=(
            "Concord — cross-department project coordination bot for Slack, Feishu/Lark and "
            "DingTalk group chats."
        ),
    )
    parser.add_argument("--version", action="version", version=f"concord {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML config file (see config.example.toml)")
    common.add_argument("--db", help="database URL (default: sqlite+aiosqlite:///concord.db)")
    common.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    console = sub.add_parser("console", parents=[common], help="chat with the bot in this terminal")
    console.add_argument("--as", dest="user", help="who is speaking (default: me)")
    console.add_argument("--chat", help="which chat (default: console)")
    console.add_argument("--locale", help="zh-CN or en")
    console.add_argument("--now", help="start the console clock here (ISO date-time)")
    console.add_argument("--demo", action="store_true", help="load the demo project first")

    sub.add_parser("serve", parents=[common], help="run the bot server (adapters, scheduler)")
    dbp = sub.add_parser("db", parents=[common], help="database maintenance")
    dbp.add_argument("action", choices=["upgrade", "current"])
    demo = sub.add_parser("demo", parents=[common], help="seed a realistic sample project")
    demo.add_argument("--chat", help="bind the demo project to this console chat")
    demo.add_argument("--now", help="pretend it is this time (ISO date-time)")
    outbox = sub.add_parser("outbox", parents=[common], help="list or retry stuck messages")
    outbox.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    outbox.add_argument("ids", nargs="*", type=int, help="retry only these message ids")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from bot.main import load_settings

    settings = load_settings(args.config)
    if args.db:
        settings.database_url = args.db
    return settings


def _clock(settings: Settings, text: str | None) -> ManualClock:
    """``--now`` pins the clock; without it the console follows the wall clock."""
    return ManualClock(_start(settings, text)) if text else ShiftedClock()


def _start(settings: Settings, text: str | None) -> datetime:
    zone = ZoneInfo(settings.timezone)
    if not text:
        return SystemClock().now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"--now expects an ISO date-time such as 2026-12-01T09:00, not {text!r}"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
        return asyncio.run(_run(args, settings))
    except ConfigError as error:
        print(f"concord: {error}", file=sys.stderr)
        return 2
    except DatabaseInUse as error:
        print(f"concord: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import main as runners

    if args.command == "console":
        if args.locale:
            locale = normalize_locale(args.locale)
            if locale is None:
                raise ConfigError(f"--locale must be zh-CN or en, not {args.locale!r}")
            settings.locales["console"] = locale
        clock = _clock(settings, args.now)
        return await runners.console(
            settings,
            clock,
            user=args.user or settings.console.user,
            chat=args.chat or settings.console.chat,
            demo=args.demo,
        )
    if args.command == "db":
        return await runners.database(settings, args.action)
    if args.command == "demo":
        clock = _clock(settings, args.now)
        return await runners.demo(settings, clock, chat=args.chat or settings.console.chat)
    if args.command == "outbox":
        return await runners.outbox_command(settings, args.action, args.ids)
    return await runners.serve(settings)


if __name__ == "__main__":
    sys.exit(main())
