"""``settings`` / ``设置``: this chat's language, time zone, digest time and quiet hours."""

from __future__ import annotations

import re

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text.i18n import normalize_locale
from commands import common
from commands.framework import Args, Family, Verb
from commands.projects.verbs import check_project_admin

OPTIONS = frozenset({"locale", "tz", "digest", "quiet", "notify"})
# ``settings notify:`` spellings → what the group receives (``bot.outbound.targets`` defines them).
NOTIFY = {
    "all": "all",
    "全部": "all",
    "mine": "mine",
    "our": "mine",
    "相关": "mine",
    "我们的": "mine",
    "digest": "digest",
    "周报": "digest",
    "仅周报": "digest",
}
WEEKDAYS = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "周一": 0,
    "周二": 1,
    "周三": 2,
    "周四": 3,
    "周五": 4,
    "周六": 5,
    "周日": 6,
    "周天": 6,
}
_HHMM = r"([01]?\d|2[0-3]):([0-5]\d)"


def parse_weekly(text: str, usage: str) -> tuple[int, str]:
    """``fri 15:00`` / ``周五 15:00`` → (4, "15:00")."""
    match = re.fullmatch(r"\s*(\S+?)\s*" + _HHMM + r"\s*", text)
    day = WEEKDAYS.get(
        match.group(1).lower()[:3]
        if match and match.group(1).isascii()
        else (match.group(1) if match else "")
    )
    if match is None or day is None:
        raise UsageError("error.bad_weekly", usage=usage, value=text)
    return day, f"{int(match.group(2)):02d}:{match.group(3)}"


def parse_quiet(text: str, usage: str) -> str:
    match = re.fullmatch(r"\s*" + _HHMM + r"\s*[-–~至到]\s*" + _HHMM + r"\s*", text)
    if match is None:
        raise UsageError("error.bad_quiet", usage=usage, value=text)
    a, b, c, d = match.groups()
    return f"{int(a):02d}:{b}-{int(c):02d}:{d}"


def parse_notify(text: str, is_direct: bool) -> str | None:
    """``notify:mine`` → "mine" (None for ``all``: the default)."""
    mode = NOTIFY.get(text.strip().lower())
    if mode is None:
        raise UsageError("groups.bad_notify", usage="settings", value=text)
    if is_direct:
        raise UsageError("groups.notify_in_group", usage="settings")
    return None if mode == "all" else mode


async def settings(ctx: Context, args: Args) -> None:
    chat = ctx.chat
    if args.options:
        if ctx.project is not None:
            await check_project_admin(ctx, ctx.project)
        if (locale := args.option("locale")) is not None:
            normalized = normalize_locale(locale)
            if normalized is None:
                raise UsageError("error.bad_locale", usage="settings", value=locale)
            chat.locale = normalized
            if ctx.actor.locale is None:
                ctx.locale = normalized
        if (tz := args.option("tz")) is not None:
            chat.timezone = common.zone(tz, usage="settings")
        if (digest := args.option("digest")) is not None:
            chat.digest_weekday, chat.digest_time = parse_weekly(digest, "settings")
        if (quiet := args.option("quiet")) is not None:
            chat.quiet_hours = parse_quiet(quiet, "settings")
        if (notify := args.option("notify")) is not None:
            chat.notify = parse_notify(notify, chat.is_direct)
        ctx.session.add(chat)
        ctx.audit("chat.settings", "chat", chat.id, **{k: args.option(k) for k in args.options})
    elif args.text():
        raise UsageError("error.settings_need_option", usage="settings")
    sched = ctx.settings.schedule
    weekday = chat.digest_weekday if chat.digest_weekday is not None else sched.digest_weekday
    msg = ctx.message()
    msg.section(
        ctx.t(
            "settings.updated" if args.options else "settings.title",
            chat=chat.name or chat.external_id,
        )
    )
    msg.fields(
        [
            (
                ctx.t("field.locale"),
                chat.locale
                or ctx.t("people.default_value", value=ctx.settings.platform_locale(ctx.platform)),
            ),
            (
                ctx.t("field.timezone"),
                chat.timezone or ctx.t("people.default_value", value=ctx.settings.timezone),
            ),
            (
                ctx.t("field.digest"),
                ctx.t(f"weekday.{list(WEEKDAYS)[weekday]}")
                + " "
                + (chat.digest_time or sched.digest_time),
            ),
            (ctx.t("field.quiet"), chat.quiet_hours or sched.quiet_hours),
            *(
                []
                if chat.is_direct
                else [
                    (ctx.t("groups.field_receives"), ctx.t(f"groups.notify.{chat.notify or 'all'}"))
                ]
            ),
        ]
    )
    ctx.reply(msg)


def family() -> Family:
    return Family(
        name="settings",
        words=("settings", "setting", "设置"),
        usage="settings",
        default=Verb(("settings",), settings, "settings", OPTIONS),
    )
