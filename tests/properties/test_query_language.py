"""The search query language: a query written from parts parses back to those parts, in any
order; any text parses, into nothing but words, known categories and real dates."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.papers import categories as category_codes
from dailypapers.search.query import parse_query
from tests.properties import PROPERTIES
from tests.properties.strategies import categories

WORD = re.compile(r"[^\W_]+")
word = st.text("abcdefghijklmnopqrstuvwxyzäöüéñ0123456789", min_size=1, max_size=8).map(
    lambda w: w.translate(str.maketrans("äöüéñ", "aouen"))
)
group = st.lists(word, min_size=2, max_size=3)
short = st.lists(word, min_size=1, max_size=2)
days = st.dates(dt.date(1991, 1, 1), dt.date(2099, 12, 31))


@st.composite
def written_queries(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A query text in random token order, and what it means."""
    tokens = [("words", w) for w in draw(st.lists(word, max_size=3))]
    tokens += [("phrases", '"' + " ".join(p) + '"') for p in draw(st.lists(group, max_size=2))]
    tokens += [("exclude", "-" + _quoted(e)) for e in draw(st.lists(short, max_size=2))]
    tokens += [("authors", "author:" + _quoted(a)) for a in draw(st.lists(short, max_size=2))]
    tokens += [("categories", "cat:" + c) for c in draw(st.lists(categories, max_size=2))]
    tokens += [(op, f"{op}:{draw(days)}") for op in ("after", "before") if draw(st.booleans())]
    shuffled = draw(st.permutations(tokens))
    parts: dict[str, Any] = {
        key: [_meaning(key, text) for k, text in shuffled if k == key]
        for key in ("words", "phrases", "exclude", "authors", "categories")
    }
    for op in ("after", "before"):
        parts[op] = next((_meaning(op, text) for k, text in shuffled if k == op), None)
    return " ".join(text for _, text in shuffled), parts


def _quoted(words: list[str]) -> str:
    return words[0] if len(words) == 1 else '"' + " ".join(words) + '"'


def _meaning(kind: str, token: str) -> Any:
    """What the parser makes of one token of ``kind``."""
    body = token.removeprefix("-").partition(":")[2] if ":" in token else token.lstrip("-")
    if kind in ("words", "categories"):
        return body
    if kind in ("after", "before"):
        return dt.date.fromisoformat(body)
    return body.strip('"').split()


@PROPERTIES
@given(written_queries())
def test_a_written_query_parses_back_to_its_parts(written: tuple[str, dict[str, Any]]) -> None:
    text, parts = written
    q = parse_query(text)
    found = {key: getattr(q, key) for key in parts}
    assert found == parts
    assert q.warnings == []


@PROPERTIES
@given(
    st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            ['"', "-", ":", "author:", "cat:", "after:", "before:", " ", "x", "2025-13-40", "\x00"]
        ),
        max_size=30,
    ).map("".join)
)
@example("cat:ſ")  # the long s matched [a-z] under IGNORECASE: a category no paper has
def test_any_text_parses_into_words_known_forms_and_real_dates(text: str) -> None:
    q = parse_query(text)
    assert all(WORD.fullmatch(w) for w in q.words)
    for tokens in [*q.phrases, *q.exclude, *q.authors]:
        assert tokens and all(WORD.fullmatch(t) for t in tokens)
    for code in q.categories:
        assert code.isascii() and category_codes.canonical(code) == code
    for day in (q.after, q.before):
        assert day is None or isinstance(day, dt.date)
    assert "\x00" not in q.text
    assert all(w.startswith("Searched ") for w in q.warnings)
