"""``digest`` / ``周报``: this project's weekly digest, now, in the reader's language and zone."""

from __future__ import annotations

from bot.errors import UsageError
from bot.inbound.context import Context
from commands import common
from commands.framework import Args, Family, Verb
from commands.reports import digest as weekly
from storage.rows import id_of


async def digest(ctx: Context, args: Args) -> None:
    if args.text():
        raise UsageError("error.digest_args", usage="digest")
    project = common.require_project(ctx)
    now = ctx.now_utc()
    rows = await weekly.load(ctx.session, [id_of(project)], now)
    ctx.reply(weekly.render(rows, id_of(project), locale=ctx.locale, zone=ctx.tz, now=now))


def family() -> Family:
    return Family(
        name="digest",
        words=("digest", "weekly", "周报"),
        usage="digest",
        default=Verb(("digest",), digest, "digest"),
    )
