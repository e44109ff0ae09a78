"""Routing ``<family> [<item>] [<verb>] args…`` to handlers, and the parsed ``Args``.

Families, verbs and their Chinese aliases are declared as data; the router derives the
"did you mean" suggestions and the option checks from them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.errors import UsageError
from bot.inbound.context import Context
from commands.parsing.options import OPTION_ALIASES
from commands.parsing.tokens import Token, split_list, tokenize

Handler = Callable[[Context, "Args"], Awaitable[None]]
ItemHandler = Callable[[Context, int, "Args"], Awaitable[None]]
ActionHandler = Callable[[Context, str, dict[str, str]], Awaitable[None]]


ITEM_RE = re.compile(r"^(?P<prefix>[A-Za-z]?)#?(?P<number>\d{1,9})$")


@dataclass
class Args:
    """What follows the verb: positional tokens and options (keys canonical)."""

    positional: list[Token]
    options: dict[str, list[Token]] = field(default_factory=dict)
    usage: str | None = None

    @classmethod
    def parse(
        cls,
        tokens: Sequence[Token],
        usage: str | None = None,
        allowed: frozenset[str] | None = None,
    ) -> Args:
        args = cls([], {}, usage)
        for token in tokens:
            if token.kind == "option":
                assert token.key is not None
                key = OPTION_ALIASES.get(token.key, token.key)
                if allowed is not None and key not in allowed:
                    raise UsageError(
                        "error.unknown_option",
                        usage=usage,
                        option=token.key,
                        allowed=", ".join(sorted(allowed)) or "—",
                    )
                args.options.setdefault(key, []).append(token)
            else:
                args.positional.append(token)
        return args

    def text(self) -> str:
        """The positional words and quoted text, joined (``task add Write the spec``)."""
        return " ".join(t.text for t in self.positional if t.kind in ("word", "quoted")).strip()

    def option(self, key: str) -> str | None:
        values = self.options.get(key)
        return values[-1].text.strip() if values else None

    def option_list(self, key: str) -> list[str]:
        return [item for token in self.options.get(key, []) for item in split_list(token.text)]

    def set_option(self, key: str, value: str) -> None:
        self.options[key] = [Token("option", value, key=key)]

    def has(self, key: str) -> bool:
        return key in self.options

    def person(self) -> str | None:
        """The first positional person: a mention as ``<@id|name>``, else the first word."""
        for token in self.positional:
            if token.kind == "mention":
                return f"<@{token.text}|{token.name or token.text}>"
        return self.positional[0].text if self.positional else None

    def first_word(self) -> str | None:
        return self.positional[0].text if self.positional else None

    def require_text(self, what: str) -> str:
        text = self.text()
        if not text:
            raise UsageError("error.missing_argument", usage=self.usage, what=what)
        return text


@dataclass(frozen=True)
class Verb:
    names: tuple[str, ...]
    handler: Handler
    usage: str
    options: frozenset[str] = frozenset()
    takes_text: bool = True  # as a family default: False means a word after it is a bad verb
    private: bool = False  # answers only the speaker (``my``, ``help``): ephemeral where possible


@dataclass(frozen=True)
class ItemVerb:
    names: tuple[str, ...]
    handler: ItemHandler
    usage: str
    options: frozenset[str] = frozenset()
    private: bool = False


@dataclass(frozen=True)
class Family:
    """A command word (``task``/``任务``) with its verbs and item verbs."""

    name: str
    words: tuple[str, ...]
    usage: str  # help key of the whole family, e.g. "task"
    verbs: tuple[Verb, ...] = ()
    item_prefix: str | None = None  # "T" for T3
    item_verbs: tuple[ItemVerb, ...] = ()
    item_default: ItemVerb | None = None
    default: Verb | None = None  # no verb given (``board``, ``project``, ``escalate T3 …``)
    actions: dict[str, ActionHandler] = field(default_factory=dict)

    def find_verb(self, word: str) -> Verb | None:
        return next((v for v in self.verbs if word.lower() in v.names), None)

    def find_item_verb(self, word: str) -> ItemVerb | None:
        return next((v for v in self.item_verbs if word.lower() in v.names), None)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word`` by edit distance (swaps count once), if any is near."""
    word = word.lower()
    best: tuple[int, float, str] | None = None
    for candidate in candidates:
        distance = edit_distance(word, candidate.lower())
        limit = max(1, min(len(word), len(candidate)) // 2)
        ratio = difflib.SequenceMatcher(None, word, candidate.lower()).ratio()
        if distance <= limit and (best is None or (distance, -ratio) < (best[0], -best[1])):
            best = (distance, ratio, candidate)
    return best[2] if best else None


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein (optimal string alignment) distance."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


class CommandRouter:
    def __init__(self, families: Sequence[Family]) -> None:
        self.families = tuple(families)
        self._by_word = {w.lower(): f for f in families for w in f.words}
        self._actions = {name: handler for f in families for name, handler in f.actions.items()}

    def family(self, word: str) -> Family | None:
        return self._by_word.get(word.lower())

    async def run_text(self, ctx: Context, text: str) -> None:
        tokens = tokenize(text.strip())
        if not tokens:
            tokens = [Token("word", "help")]
        head = tokens[0]
        word = head.text.lstrip("/／") if head.kind == "word" else ""
        family = self.family(word)
        if family is None:
            match = closest(word, self._by_word)
            raise UsageError(
                "error.unknown_command",
                usage="help",
                word=word or head.text,
                suggestion=self._by_word[match].words[0] if match else "help",
            )
        await self._run_family(ctx, family, tokens[1:])

    async def _run_family(self, ctx: Context, family: Family, rest: list[Token]) -> None:
        first = rest[0] if rest else None
        if first is not None and first.kind == "word":
            number = item_number(first.text, family.item_prefix)
            if number is not None:
                await self._run_item(ctx, family, number, rest[1:])
                return
            verb = family.find_verb(first.text)
            if verb is not None:
                ctx.private = verb.private
                await verb.handler(ctx, Args.parse(rest[1:], verb.usage, verb.options))
                return
        if family.default is not None and (
            family.default.takes_text or first is None or first.kind != "word"
        ):
            verb = family.default
            ctx.private = verb.private
            await verb.handler(ctx, Args.parse(rest, verb.usage, verb.options))
            return
        names = [n for v in family.verbs for n in v.names]
        if first is not None and family.item_prefix:
            item_verb = family.find_item_verb(
                closest(first.text, [n for v in family.item_verbs for n in v.names]) or ""
            )
            if item_verb is not None:
                raise UsageError(
                    "error.needs_item",
                    usage=item_verb.usage,
                    family=family.words[0],
                    verb=item_verb.names[0],
                    example=f"{family.item_prefix}1",
                )
        if first is None:
            raise UsageError(
                "error.missing_verb",
                usage=family.usage,
                family=family.words[0],
                verbs=", ".join(v.names[0] for v in family.verbs),
            )
        raise UsageError(
            "error.unknown_verb",
            usage=family.usage,
            family=family.words[0],
            verb=first.text,
            suggestion=closest(first.text, names) or names[0],
        )

    async def _run_item(self, ctx: Context, family: Family, number: int, rest: list[Token]) -> None:
        first = rest[0] if rest else None
        if first is not None and first.kind == "word":
            verb = family.find_item_verb(first.text)
            if verb is not None:
                ctx.private = verb.private
                await verb.handler(ctx, number, Args.parse(rest[1:], verb.usage, verb.options))
                return
        default = family.item_default
        if default is not None and (first is None or first.kind != "word"):
            ctx.private = default.private
            await default.handler(ctx, number, Args.parse(rest, default.usage, default.options))
            return
        names = [n for v in family.item_verbs for n in v.names]
        raise UsageError(
            "error.unknown_verb",
            usage=family.usage,
            family=family.words[0],
            verb=first.text if first else "",
            suggestion=closest(first.text if first else "", names) or (names[0] if names else ""),
        )

    async def run_action(
        self, ctx: Context, action: str, value: str, inputs: dict[str, str]
    ) -> None:
        handler = self._actions.get(action)
        if handler is None:
            raise UsageError("error.unknown_action", action=action)
        await handler(ctx, value, inputs)


def item_number(text: str, prefix: str | None) -> int | None:
    """``T3``/``t3``/``#3``/``3`` → 3 when the letter (if any) is the family's."""
    if prefix is None:
        return None
    match = ITEM_RE.match(text)
    if match is None:
        return None
    if match["prefix"] and match["prefix"].upper() != prefix.upper():
        return None
    return int(match["number"])
