"""The tokenizer shared by every platform: words, quoted text, ``key:value`` options, mentions.

Syntax (docs/commands.md "Tokens"): quotes ``"…"`` ``'…'`` ``“…”`` ``‘…’`` ``「…」`` ``『…』``;
options ``key:value`` / ``key=value`` / ``key：value`` (the value may be quoted); mentions
``@name`` (console) or the neutral ``<@ID>`` / ``<@ID|name>`` that adapters write. A time
right after a date option (``due:2026-12-05 15:00``) joins that option's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.errors import UsageError

QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "”": "”"}
SPACES = " \t\r\n\u3000\u00a0"
OPTION_SEPARATORS = ":=："
_KEY_RE = re.compile(r"^[^\W\d_][^\W\d]*$")  # letters (any script), no digits: R, due, 负责人
_MENTION_RE = re.compile(r"^<@([^>|]+)(?:\|([^>]*))?>$")
_AT_RE = re.compile(r"^@([^\s@,，、:：]+)$")
TIME_RE = re.compile(
    r"^(?:\d{1,2}:\d{2}|(?:上午|下午|晚上|中午|早上)?\d{1,2}[点時时](?:\d{1,2}分?|半)?|\d{1,2}(?::\d{2})?\s?(?:am|pm))$",
    re.IGNORECASE,
)

Kind = Literal["word", "quoted", "option", "mention"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # the word, the quoted text, the option value, or the mention's id
    key: str | None = None  # option key, lower-cased
    name: str | None = None  # mention display name, if the platform gave one
    quoted: bool = False  # option value was quoted


def tokenize(line: str) -> list[Token]:
    """Split a command line into tokens. Raises ``UsageError`` on an unclosed quote."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in SPACES:
            i += 1
            continue
        if line[i] in QUOTES:
            text, i = _read_quoted(line, i)
            tokens.append(Token("quoted", text))
            continue
        if line[i] == "<" and line.startswith("<@", i) and ">" in line[i:]:
            end = line.index(">", i) + 1
            match = _MENTION_RE.match(line[i:end])
            if match:
                tokens.append(Token("mention", match.group(1), name=match.group(2)))
                i = end
                continue
        token, i = _read_word_or_option(line, i)
        tokens.append(token)
    return _join_times(tokens)


def _read_quoted(line: str, start: int) -> tuple[str, int]:
    closer = QUOTES[line[start]]
    end = line.find(closer, start + 1)
    if end < 0:
        raise UsageError("error.unclosed_quote", quote=line[start])
    return line[start + 1 : end], end + 1


def _read_word_or_option(line: str, start: int) -> tuple[Token, int]:
    i = start
    while i < len(line) and line[i] not in SPACES:
        if line[i] in OPTION_SEPARATORS and _KEY_RE.match(line[start:i]):
            return _read_option(line, start, i)
        if line[i] in QUOTES and line[i] in "“「『":
            break  # a CJK opening quote right after a word starts a new token
        i += 1
    word = line[start:i]
    at = _AT_RE.match(word)
    if at:
        return Token("mention", at.group(1), name=at.group(1)), i
    return Token("word", word), i


def _read_option(line: str, start: int, sep: int) -> tuple[Token, int]:
    key = line[start:sep].lower()
    i = sep + 1
    if line.startswith("//", i):  # a URL such as https://…, not an option
        end = i
        while end < len(line) and line[end] not in SPACES:
            end += 1
        return Token("word", line[start:end]), end
    if i < len(line) and line[i] in QUOTES:
        value, i = _read_quoted(line, i)
        return Token("option", value, key=key, quoted=True), i
    end = i
    while end < len(line) and line[end] not in SPACES:
        end += 1
    return Token("option", line[i:end], key=key), end


def _join_times(tokens: list[Token]) -> list[Token]:
    """``due:2026-12-05 15:00`` → one option whose value is ``2026-12-05 15:00``."""
    out: list[Token] = []
    for token in tokens:
        previous = out[-1] if out else None
        if (
            token.kind == "word"
            and TIME_RE.match(token.text)
            and previous is not None
            and previous.kind == "option"
            and not previous.quoted
            and previous.text
            and not TIME_RE.match(previous.text.split()[-1])
        ):
            out[-1] = Token("option", f"{previous.text} {token.text}", key=previous.key)
            continue
        out.append(token)
    return out


def split_list(value: str) -> list[str]:
    """``A,B`` / ``A，B`` / ``A、B`` → ``["A", "B"]`` (blank items dropped)."""
    return [part.strip() for part in re.split(r"[,，、;；]", value) if part.strip()]
