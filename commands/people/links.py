"""``member link`` / ``member unlink`` / ``member @me prefer:…``: one person, several platforms.

Linking is the person's own act, proven by possession: ``member link`` on one platform gives
them (privately) a one-time code; typing ``member link <code>`` from their account on another
platform within 10 minutes merges the two members into one (``storage.merge``). Nobody can
link someone else: there is no form naming another person, and a code only ever links the
account that asked for it with the account that types it.

- codes: 8 characters of an alphabet without look-alikes (31⁸ ≈ 8.5·10¹¹), kept as SHA-256
  only, used once, one live code per person;
- wrong or expired codes change nothing, and count: after ``MAX_FAILURES`` within the code
  lifetime a person must wait before trying again (a blind guess has ~6·10⁻¹² odds);
- attempts from one account are serialized on its identity row; the merge locks both
  members, lowest id first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.errors import Conflict, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.i18n import Translator
from bot.text.messages import Target
from bot.text.render import MessageBuilder
from commands.framework import Args
from storage import rows
from storage.people import links, merge
from storage.people import queries as people
from storage.rows import id_of
from storage.tables import Member

LINK_TTL = timedelta(minutes=10)
MAX_FAILURES = 5
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CLEAR_PREFERENCE = ("auto", "last", "自动")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalized(text: str) -> str:
    return "".join(c for c in text.upper() if c not in " -_　")


def code_hash(code: str) -> str:
    return hashlib.sha256(f"concord-link:{code}".encode()).hexdigest()


def platform_name(ctx: Context, platform: str) -> str:
    return ctx.t(f"platform.{platform}")


async def link(ctx: Context, args: Args) -> None:
    if any(token.kind == "mention" for token in args.positional):
        raise UsageError("link.only_yourself", usage="member.link")
    text = args.text()
    if text:
        await confirm(ctx, normalized(text))
    else:
        await start(ctx)


async def start(ctx: Context) -> None:
    ctx.private = True  # the code is for the speaker's eyes only
    now = ctx.now_utc()
    code = new_code()
    await links.start_code(
        ctx.session,
        member_id=ctx.actor_id,
        platform=ctx.platform,
        external_id=ctx.sender_id,
        code_hash=code_hash(code),
        now=now,
        expires_at=now + LINK_TTL,
    )
    ctx.audit("member.link_started", "member", ctx.actor_id, account=ctx.sender_id)
    minutes = int(LINK_TTL.total_seconds() // 60)
    ctx.reply(
        ctx.message().section(
            ctx.t(
                "link.code",
                code=shown(code),
                platform=platform_name(ctx, ctx.platform),
                minutes=minutes,
            )
        )
    )


async def confirm(ctx: Context, code: str) -> None:
    ctx.private = True
    now = ctx.now_utc()
    # One attempt from this account at a time (every replica): the count below stays true.
    # The account's row, not the member's: members are locked in id order by the merge.
    speaking = await links.identity_of(
        ctx.session, platform=ctx.platform, external_id=ctx.sender_id
    )
    if speaking is not None:
        await rows.lock(ctx.session, speaking)
    failures = await links.recent_failures(
        ctx.session, member_id=ctx.actor_id, since=now - LINK_TTL
    )
    if failures >= MAX_FAILURES:
        raise Conflict("link.too_many", minutes=int(LINK_TTL.total_seconds() // 60))
    found = await links.live_code(ctx.session, code_hash=code_hash(code), now=now)
    starter = (
        await links.identity_of(ctx.session, platform=found.platform, external_id=found.external_id)
        if found is not None
        else None
    )
    if found is None or starter is None:
        # Not an error: the refusal must be kept, it counts against further guesses.
        ctx.audit(links.FAILED_ACTION, "member", ctx.actor_id, account=ctx.sender_id)
        left = MAX_FAILURES - failures - 1
        ctx.reply(ctx.message().section(ctx.t("link.wrong_code", left=left)))
        return
    if found.platform == ctx.platform:
        raise Conflict("link.same_platform", platform=platform_name(ctx, ctx.platform))
    if starter.member_id == ctx.actor_id:
        raise Conflict("link.already", name=ctx.actor.name)
    keep, absorb = await merge.lock_pair(
        ctx.session, min(starter.member_id, ctx.actor_id), max(starter.member_id, ctx.actor_id)
    )
    if keep.merged_into_id is not None or absorb.merged_into_id is not None:
        raise Conflict("link.changed")  # merged elsewhere meanwhile: nothing was done
    await merge.merge(ctx.session, keep=keep, absorb=absorb)
    keep.last_platform = ctx.platform  # several platforms now: the last one counts
    found.used_at, found.used_by = now, keep.id
    ctx.session.add_all([keep, found])
    ctx.actor = keep
    accounts = [f"{found.platform}:{found.external_id}", f"{ctx.platform}:{ctx.sender_id}"]
    ctx.audit(
        "member.link",
        "member",
        keep.id,
        accounts=accounts,
        kept=keep.id,
        merged=absorb.id,
        code_started_at=found.created_at,
    )
    await _tell_linked(ctx, keep, found.platform, found.external_id)


async def _tell_linked(ctx: Context, member: Member, platform: str, account: str) -> None:
    """The answer here, and a note on the other platform (where the code was asked for),
    in the language the person reads there."""
    msg = ctx.message()
    ctx.reply(msg.section(ctx.t("link.done", **_linked_params(ctx.t, ctx, msg, member, platform))))
    there = Translator(targets.member_locale(ctx.settings, member, platform))
    note = ctx.message()
    params = _linked_params(there, ctx, note, member, platform)
    note.section(there("link.done_elsewhere", **params, account=ctx.sender_id))
    ctx.send(Target(platform, account, is_direct=True, member_id=member.id), note)


def _linked_params(
    t: Translator, ctx: Context, msg: MessageBuilder, member: Member, platform: str
) -> dict[str, str]:
    return {
        "here": t(f"platform.{ctx.platform}"),
        "there": t(f"platform.{platform}"),
        "here_key": ctx.platform,
        "name": msg.mention(id_of(member), member.name),
    }


async def unlink(ctx: Context, args: Args) -> None:
    if any(token.kind == "mention" for token in args.positional):
        raise UsageError("link.only_yourself", usage="member.unlink")
    member = await rows.lock(ctx.session, ctx.actor)
    owned = await merge.identities(ctx.session, id_of(member))
    platforms = sorted({i.platform for i in owned})
    if len(owned) < 2:
        raise Conflict("link.nothing_to_unlink")
    wanted = (args.first_word() or ctx.platform).lower()
    chosen = [i for i in owned if i.platform == wanted]
    if not chosen:
        raise UsageError(
            "link.no_such_account",
            usage="member.unlink",
            platform=wanted,
            platforms=", ".join(platforms),
        )
    identity = chosen[-1]
    alone = await merge.split_off(ctx.session, member=member, identity=identity, now=ctx.now_utc())
    ctx.audit(
        "member.unlink",
        "member",
        member.id,
        account=f"{identity.platform}:{identity.external_id}",
        new_member=alone.id,
    )
    msg = ctx.message()
    ctx.reply(
        msg.section(
            ctx.t(
                "link.unlinked",
                platform=platform_name(ctx, identity.platform),
                account=identity.external_id,
                name=msg.mention(id_of(member), member.name),
            )
        )
    )


async def set_preference(ctx: Context, target: Member, value: str, usage: str) -> None:
    """``prefer:slack`` — where the person's DMs go (``prefer:auto``: the last one used)."""
    if target.id != ctx.actor_id:
        raise UsageError("link.prefer_yourself", usage=usage)
    choice = value.strip().lower()
    if choice in CLEAR_PREFERENCE:
        target.preferred_platform = None
        return
    accounts = (await people.accounts_of(ctx.session, {id_of(target)})).get(id_of(target), {})
    if choice not in accounts:
        raise UsageError(
            "link.prefer_unknown",
            usage=usage,
            platform=value,
            platforms=", ".join(sorted(accounts)),
        )
    target.preferred_platform = choice


async def account_fields(ctx: Context, member: Member) -> list[tuple[str, str]]:
    """A linked person's accounts and where their DMs go (nothing for one account)."""
    owned = await merge.identities(ctx.session, id_of(member))
    if len(owned) < 2:
        return []
    accounts = ", ".join(f"{platform_name(ctx, i.platform)} ({i.external_id})" for i in owned)
    if member.preferred_platform:
        dms = ctx.t("link.dm_chosen", platform=platform_name(ctx, member.preferred_platform))
    else:
        last = member.last_platform or owned[0].platform
        dms = ctx.t("link.dm_last", platform=platform_name(ctx, last))
    return [(ctx.t("link.field_accounts"), accounts), (ctx.t("link.field_dms"), dms)]
