"""Keyword search over title, abstract and authors: which visible papers match a parsed
``Query``, and how well.

* SQLite, the embedded default: tantivy (``tantivy_index``), BM25 over every match.
* PostgreSQL: its own full text (``postgres_text``), so every web process sees one index.

Stop words never make a paper match, but add to the score of one that matches on other
words (``ranked``); a query of stop words only matches on them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from . import postgres_text
from . import tantivy_index as tv
from .query import STOP_WORDS, Query


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(q: Query) -> list[str]:
    return [w for w in q.words if w not in STOP_WORDS] or q.words


def _conditions(q: Query) -> tv.Conditions:
    return tv.conditions(q.authors, q.categories, q.after, q.before, q.exclude)


def _text_clauses(q: Query) -> list:
    clauses = [tv.word_clause(w) for w in _words(q)] + [tv.phrase_clause(p) for p in q.phrases]
    return [c for c in clauses if c is not None]


def ranked(q: Query, limit: int) -> list[tuple[int, float]]:
    """``(paper id, score)`` of the ``limit`` best matches: papers with any of q's words and
    phrases, ranked by BM25 (rarer words, and more of them, count more), under q's filters."""
    if not q.has_text:
        return []
    # Stop words do not make a paper match, but they add their (small) BM25 to the papers
    # that match: the ties they break are what a half-remembered sentence hinges on
    # (bench/known_item.py: MRR@10 0.973 -> 0.978 on 237k arXiv papers, sentences; keyword
    # queries the same; p50 2 -> 4 ms).
    content = _words(q)
    stops = [w for w in dict.fromkeys(q.words) if w not in set(content)]
    if _postgres():
        return postgres_text.ranked(q, content, limit, also=stops)
    extra = [c for w in stops if (c := tv.word_clause(w)) is not None]
    return tv.run(_text_clauses(q), _conditions(q), limit, also=extra)


def newest(q: Query, limit: int) -> list[int]:
    """Papers with every one of q's words and phrases, under q's filters, newest first."""
    if not q.has_text:
        return []
    if _postgres():
        return postgres_text.newest(q, _words(q), limit)
    found = tv.run(_text_clauses(q), _conditions(q), limit, all_text=True, newest_first=True)
    return [pk for pk, _ in found]


def filtered(q: Query, limit: int) -> list[int]:
    """Visible papers passing q's filters, newest first: for queries with no text."""
    if _postgres():
        return postgres_text.filtered(q, None, limit)
    return [pk for pk, _ in tv.run([], _conditions(q), limit, newest_first=True)]


def filter_ids(q: Query, most: int) -> list[int] | None:
    """Every visible paper passing q's filters, if there are at most ``most``; else None."""
    if _postgres():
        found = postgres_text.filtered(q, None, most + 1)
    else:
        found = [pk for pk, _ in tv.run([], _conditions(q), most + 1)]
    return found if len(found) <= most else None


def matching(q: Query, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are visible and pass q's filters (authors, exclusions, categories,
    dates); the text itself need not match."""
    if not ids:
        return set()
    if _postgres():
        return set(postgres_text.filtered(q, ids))
    return {pk for pk, _ in tv.run([], _conditions(q), len(ids), among=list(ids))}


def title_candidates(words: list[str]) -> list[int]:
    """Visible papers whose title may be exactly ``words``: on SQLite those with the words in
    a row in the title, on PostgreSQL those with the same normalised title."""
    if not words:
        return []
    if _postgres():
        return postgres_text.exact_title(words)
    return tv.title_phrase(words, 50)


def newest_of_any(authors: list[list[str]], categories: list[str], limit: int) -> list[int]:
    """Visible papers with any of ``authors`` (a name's words in a row in the author list) or
    in any of ``categories``, newest first: one query, however many there are."""
    if not authors and not categories:
        return []
    if _postgres():
        return postgres_text.newest_of_any(authors, categories, limit)
    found = tv.run([], tv.any_of(authors, categories), limit, newest_first=True)
    return [pk for pk, _ in found]
