"""docs/commands.md and the command router agree.

Every command word, verb (both languages) and option the router knows is in the reference,
and every command the reference documents routes to the verb its row names and takes the
options its usage lines show. Adding a verb or an alias on either side alone fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands import router
from commands.framework import OPTION_ALIASES, Family, ItemVerb, Verb, item_number

DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
CODE = re.compile(r"`([^`]+)`")
QUOTED = re.compile(r'"[^"]*"')
OPTION_KEY = re.compile(r"(?:^|[\s\[])([^\s\[\]:：=]+)[:：=]")


def is_chinese(word: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in word)


@dataclass(frozen=True)
class Row:
    usage_en: str
    usage_zh: str
    verbs_en: frozenset[str]
    verbs_zh: frozenset[str]

    @property
    def verbs(self) -> frozenset[str]:
        return self.verbs_en | self.verbs_zh


@dataclass(frozen=True)
class Section:
    words: frozenset[str]
    rows: tuple[Row, ...]


def parse_row(line: str) -> Row:
    cells = [c.replace("\\|", "|") for c in CELL_SEPARATOR.split(line.strip()[1:-1])]
    usage_en, usage_zh, verbs_en, verbs_zh = (CODE.findall(c) for c in cells[:4])
    assert len(usage_en) == len(usage_zh) == 1, f"one usage per language in: {line}"
    return Row(usage_en[0], usage_zh[0], frozenset(verbs_en), frozenset(verbs_zh))


def parse_section(text: str) -> Section:
    words_line = next(line for line in text.splitlines() if line.startswith("Words:"))
    words = CODE.findall(words_line.split(". Items:")[0])
    rows = [parse_row(line) for line in text.splitlines() if line.startswith("| `")]
    return Section(frozenset(words), tuple(rows))


def documented() -> dict[str, Section]:
    """The reference's families by their first command word (``### task / 任务``)."""
    commands = DOC.read_text(encoding="utf-8").split("\n## Commands\n")[1].split("\n## ")[0]
    sections = commands.split("\n### ")[1:]
    return {s.split()[0]: parse_section(s) for s in sections}


FAMILIES = router().families
DOCUMENTED = documented()


def family_named(word: str) -> Family:
    return next(f for f in FAMILIES if f.words[0] == word)


def test_the_reference_documents_every_family_with_all_its_words() -> None:
    assert set(DOCUMENTED) == {f.words[0] for f in FAMILIES}
    for family in FAMILIES:
        assert DOCUMENTED[family.words[0]].words == set(family.words), family.name


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_the_reference_lists_exactly_the_verbs_the_router_knows(family: Family) -> None:
    rows = [row for row in DOCUMENTED[family.words[0]].rows if row.verbs]
    documented_verbs = {(is_item_usage(family, row.usage_en), row.verbs) for row in rows}
    known = {(False, frozenset(v.names)) for v in family.verbs}
    known |= {(True, frozenset(v.names)) for v in family.item_verbs}
    assert documented_verbs == known


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_verb_spellings_sit_in_their_language_column(family: Family) -> None:
    for row in DOCUMENTED[family.words[0]].rows:
        assert not any(is_chinese(v) for v in row.verbs_en), row
        assert all(is_chinese(v) for v in row.verbs_zh), row


def is_item_usage(family: Family, usage: str) -> bool:
    words = usage.split()
    return len(words) > 1 and item_number(words[1], family.item_prefix) is not None


def routed_verb(family: Family, usage: str, row: Row) -> Verb | ItemVerb:
    """The verb ``usage`` reaches, checked against the verbs its row lists."""
    words = usage.split()
    assert words[0] in family.words, f"{usage!r} is not a {family.name} command"
    item = is_item_usage(family, usage)
    word = (words[2:] if item else words[1:])[:1]
    verb = (family.find_item_verb if item else family.find_verb)(word[0] if word else "")
    default = family.item_default if item else family.default
    if row.verbs:
        assert verb is not None and set(verb.names) == row.verbs, f"{usage!r} ≠ {row.verbs}"
        return verb
    assert verb is None, f"{usage!r} names verb {word}, but its row lists none"
    assert default is not None, f"{usage!r}: {family.name} does nothing without a verb"
    return default


def usage_options(usage: str) -> set[str]:
    keys = OPTION_KEY.findall(QUOTED.sub('""', usage))
    return {OPTION_ALIASES.get(key, key).lower() for key in keys}


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_documented_command_routes_and_takes_its_options(family: Family) -> None:
    for row in DOCUMENTED[family.words[0]].rows:
        for usage in (row.usage_en, row.usage_zh):
            verb = routed_verb(family, usage, row)
            assert usage_options(usage) <= verb.options, usage


def test_every_option_and_option_spelling_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    written = {code.lower() for code in CODE.findall(text)}
    written |= {key.lower() for code in CODE.findall(text) for key in OPTION_KEY.findall(code)}
    verbs = [v for f in FAMILIES for v in (f.default, f.item_default, *f.verbs, *f.item_verbs)]
    accepted = {key for verb in verbs if verb is not None for key in verb.options}
    spellings = set(OPTION_ALIASES) | set(OPTION_ALIASES.values())
    assert accepted | spellings <= written, sorted((accepted | spellings) - written)


def test_the_checks_see_a_drifted_row() -> None:
    task = family_named("task")
    drifted = Row("task T3 finsh", "任务 T3 完成", frozenset({"done", "finish"}), frozenset())
    with pytest.raises(AssertionError):
        routed_verb(task, drifted.usage_en, drifted)
    assert usage_options('task add "x" colour:red') == {"colour"}
