"""Keyword search over title, abstract and authors: which visible papers match a parsed
``Query``, and how well, on the database's keyword engine (``engines.keyword()``: tantivy on
SQLite, PostgreSQL's own full text there).

Stop words never make a paper match, but add to the score of one that matches on other
words (``ranked``); a query of stop words only matches on them.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import engines
from .query import STOP_WORDS, Query


def _words(q: Query) -> list[str]:
    return [w for w in q.words if w not in STOP_WORDS] or q.words


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
    return engines.keyword().ranked(q, content, limit, also=stops)


def newest(q: Query, limit: int) -> list[int]:
    """Papers with every one of q's words and phrases, under q's filters, newest first."""
    if not q.has_text:
        return []
    return engines.keyword().newest(q, _words(q), limit)


def filtered(q: Query, limit: int) -> list[int]:
    """Visible papers passing q's filters, newest first: for queries with no text."""
    return engines.keyword().filtered(q, limit)


def filter_ids(q: Query, most: int) -> list[int] | None:
    """Every visible paper passing q's filters, if there are at most ``most``; else None."""
    found = engines.keyword().filtered(q, most + 1, ordered=False)
    return found if len(found) <= most else None


def matching(q: Query, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are visible and pass q's filters (authors, exclusions, categories,
    dates); the text itself need not match."""
    if not ids:
        return set()
    return engines.keyword().matching(q, ids)


def title_candidates(words: list[str]) -> list[int]:
    """Visible papers whose title, or its name before the colon, may be exactly ``words``: on
    SQLite those with the words in a row in the title, on PostgreSQL those with the same
    normalised title or name."""
    if not words:
        return []
    return engines.keyword().title_candidates(words)


def newest_of_any(authors: list[list[str]], categories: list[str], limit: int) -> list[int]:
    """Visible papers with any of ``authors`` (a name's words in a row in the author list) or
    in any of ``categories``, newest first: one query, however many there are."""
    if not authors and not categories:
        return []
    return engines.keyword().newest_of_any(authors, categories, limit)
