"""``help`` / ``帮助``: every command's usage, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.inbound.dispatch import usage_key
from commands.framework import Args, Family, ItemVerb, Verb, closest


def family(all_families: Sequence[Family]) -> Family:
    async def show_help(ctx: Context, args: Args) -> None:
        word = args.first_word()
        if word:
            await _one(ctx, all_families, word.lstrip("/"))
            return
        msg = ctx.message()
        msg.header(ctx.t("help.title"))
        lines = []
        for fam in all_families:
            words = " / ".join(w for w in (fam.words[0], _chinese(fam)) if w)
            lines.append(f"• **{words}** — {ctx.t(f'help.{fam.name}')}")
        msg.lines(lines)
        msg.context(ctx.t("help.footer"))
        ctx.reply(msg)

    return Family(
        name="help",
        words=("help", "帮助", "?", "？", "h"),
        usage="help",
        default=Verb(("help",), show_help, "help", private=True),
    )


def _chinese(fam: Family) -> str:
    return next((w for w in fam.words if any("\u4e00" <= c <= "\u9fff" for c in w)), "")


async def _one(ctx: Context, all_families: Sequence[Family], word: str) -> None:
    by_word = {w.lower(): f for f in all_families for w in f.words}
    fam = by_word.get(word.lower())
    if fam is None:
        raise UsageError(
            "error.unknown_command",
            usage="help",
            word=word,
            suggestion=closest(word, by_word) or "help",
        )
    msg = ctx.message()
    msg.header(f"{fam.words[0]} / {_chinese(fam)} — {ctx.t(f'help.{fam.name}')}")
    keys: list[str] = []
    usages = [v.usage for v in (fam.default, fam.item_default) if v is not None]
    usages += [v.usage for v in fam.verbs] + [v.usage for v in fam.item_verbs]
    for usage in usages:
        if usage not in keys and ctx.t.has(usage_key(usage)):
            keys.append(usage)
    msg.lines([ctx.t(usage_key(k)) for k in keys])
    verbs: list[Verb | ItemVerb] = [*fam.verbs, *fam.item_verbs]
    aliases = [f"{v.names[0]} = {' / '.join(v.names[1:])}" for v in verbs if len(v.names) > 1]
    if aliases:
        msg.context(ctx.t("help.aliases", aliases="; ".join(aliases)))
    ctx.reply(msg)
