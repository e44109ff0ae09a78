"""The shared tokenizer: quotes, options, mentions, lists, date-time joining."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UsageError
from commands.parsing.tokens import Token, split_list, tokenize


def kinds(line: str) -> list[tuple[str, str, str | None]]:
    return [(t.kind, t.text, t.key) for t in tokenize(line)]


def test_words_quotes_and_options() -> None:
    assert kinds('task add "Write the spec" owner:@bob due:12-05 std:“含 用户画像”') == [
        ("word", "task", None),
        ("word", "add", None),
        ("quoted", "Write the spec", None),
        ("option", "@bob", "owner"),
        ("option", "12-05", "due"),
        ("option", "含 用户画像", "std"),
    ]


@pytest.mark.parametrize("quoted", ['"a b"', "'a b'", "“a b”", "「a b」", "『a b』", "‘a b’"])
def test_every_quote_style(quoted: str) -> None:
    assert tokenize(f"x {quoted}")[1] == Token("quoted", "a b")


def test_full_width_colon_equals_and_chinese_keys() -> None:
    assert kinds("任务 新建 需求 负责人：@张三 截止=明天") == [
        ("word", "任务", None),
        ("word", "新建", None),
        ("word", "需求", None),
        ("option", "@张三", "负责人"),
        ("option", "明天", "截止"),
    ]


def test_a_time_after_a_date_option_joins_it() -> None:
    assert kinds("meeting new x at:2026-12-05 15:00")[-1] == ("option", "2026-12-05 15:00", "at")
    assert kinds("m at:明天 下午3点")[-1] == ("option", "明天 下午3点", "at")
    assert kinds("report 15:00")[-1] == ("word", "15:00", None)


def test_urls_times_and_apostrophes_are_words() -> None:
    assert kinds("see https://x.example/a?b=c 15:00 T15:00 don't") == [
        ("word", "see", None),
        ("word", "https://x.example/a?b=c", None),
        ("word", "15:00", None),
        ("word", "T15:00", None),
        ("word", "don't", None),
    ]


def test_mentions_console_and_neutral_forms() -> None:
    tokens = tokenize("assign @alice <@U123|bob> <@ou_9>")
    assert [(t.kind, t.text, t.name) for t in tokens[1:]] == [
        ("mention", "alice", "alice"),
        ("mention", "U123", "bob"),
        ("mention", "ou_9", None),
    ]


def test_unclosed_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as error:
        tokenize('task add "never closed')
    assert error.value.key == "error.unclosed_quote"


def test_lists_take_every_separator() -> None:
    assert split_list("研发部, 市场部，运维部、财务部;;") == [
        "研发部",
        "市场部",
        "运维部",
        "财务部",
    ]


@given(st.text(max_size=200))
def test_any_text_tokenizes_or_raises_a_usage_error(text: str) -> None:
    try:
        tokens = tokenize(text)
    except UsageError as error:
        assert error.key == "error.unclosed_quote"
        return
    for token in tokens:
        assert token.kind in ("word", "quoted", "option", "mention")
        assert token.kind != "option" or token.key
