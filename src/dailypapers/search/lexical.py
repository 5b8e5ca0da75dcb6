"""Keyword search over title, abstract and authors: SQLite FTS5 on the embedded default,
PostgreSQL full text (a weighted tsvector column with a GIN index) at scale.

The index lives in the database next to the paper table and is kept in step by the database
itself (FTS5 triggers; a generated column on PostgreSQL), so every import, fetch or admin edit
is searchable at once. Migration ``search.0001`` creates both.

Queries are built from a parsed ``Query`` only: each word and phrase goes in quoted, never
as syntax. Words must all match; when that finds fewer than ``limit`` papers, papers with any
of the words follow, ranked by BM25 (FTS5) or ``ts_rank`` (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from dailypapers.papers.models import Paper

from .query import STOP_WORDS, Query

PAPER = connection.ops.quote_name(Paper._meta.db_table)
FTS = "search_fts"  # the FTS5 table (SQLite)


def search(q: Query, limit: int, order: str = "rank", any_words: bool = True) -> list[int]:
    """Ids of visible papers matching ``q``'s text and filters, best first (or newest first
    with ``order="date"``); ``any_words`` tops up a short list with partial matches."""
    if not q.has_text:
        return []
    backend = _backend()
    ids = backend.run(q, "AND", limit, order)
    if any_words and len(ids) < limit and len(q.words) + len(q.phrases) > 1:
        seen = set(ids)
        more = backend.run(q, "OR", limit, order)
        ids += [i for i in more if i not in seen][: limit - len(ids)]
    return ids


def phrase_in_title(words: list[str], limit: int = 50) -> list[int]:
    """Visible papers whose title (on PostgreSQL: title or abstract) has ``words`` in a row:
    the candidates for an exact-title match."""
    if not words:
        return []
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT p.id FROM {PAPER} p WHERE p.search_vector @@ "
            "phraseto_tsquery('dailypapers_english', %s) AND p.hidden = %s LIMIT %s"
        )
        return _fetch(sql, [" ".join(words), False, limit])
    sql = (
        f"SELECT p.id FROM {FTS} JOIN {PAPER} p ON p.id = {FTS}.rowid "
        f"WHERE {FTS} MATCH %s AND p.hidden = %s LIMIT %s"
    )
    return _fetch(sql, [f"title : {_phrase(*words)}", False, limit])


def matching(q: Query, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` pass ``q``'s filters (authors, exclusions, categories, dates) and are
    visible; the text itself is not required to match."""
    if not ids:
        return set()
    return set(_backend().filter(q, list(ids)))


def filtered(q: Query, limit: int) -> list[int]:
    """Visible papers passing ``q``'s filters, newest first: for queries with no text."""
    return _backend().filter(q, None, limit)


BY_DATE = "p.published DESC NULLS LAST, p.id DESC"
# Relevance is computed for at most this many matches, the most recently added: ranking costs
# microseconds per match, and a word like "learning" matches 50,000 of 240,000 papers. A query
# that specific (or a corpus that small) is ranked whole.
RANK_WINDOW = 5000
# Weights {D, C, B, A}: authors (C) 0.2, abstract (B) 0.7, title (A) 1; normalisation 1
# divides by 1 + log(length). On SciFact this gives nDCG@10 0.61 where the defaults give 0.57
# (ts_rank has no inverse document frequency, which is why BM25 on SQLite reaches 0.69).
PG_RANK = "ts_rank('{0.1, 0.2, 0.7, 1.0}', p.search_vector, t.query, 1)"


def _backend() -> _Sqlite | _Postgres:
    return _Postgres() if connection.vendor == "postgresql" else _Sqlite()


def _plain_filters(q: Query, categories_as_text: str) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``p`` (the paper table) that need no text index."""
    where: list[str] = ["p.hidden = %s"]
    params: list[Any] = [False]
    if q.categories:
        likes = []
        for cat in q.categories:
            likes.append(f"{categories_as_text} LIKE %s")
            params.append(f'%"{cat}"%')
            if "." not in cat:  # a whole archive: cs matches cs.CL, cs.LG...
                likes.append(f"{categories_as_text} LIKE %s")
                params.append(f'%"{cat}.%')
        where.append(f"({' OR '.join(likes)})")
    if q.after:
        where.append("p.published >= %s")
        params.append(q.after.isoformat())
    if q.before:
        where.append("p.published < %s")
        params.append(q.before.isoformat())
    return where, params


def _ids_condition(ids: list[int] | None) -> tuple[list[str], list[Any]]:
    if ids is None:
        return [], []
    return [f"p.id IN ({', '.join(['%s'] * len(ids))})"], list(ids)


def _fetch(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class _Sqlite:
    """FTS5 with the porter stemmer; ranked by BM25 with title and authors weighted up
    (set once on the table, see the migration)."""

    def run(self, q: Query, mode: str, limit: int, order: str) -> list[int]:
        # Stop words add nothing to the ranking but long lists to intersect (PostgreSQL's
        # configuration drops them itself); a query of stop words only keeps them.
        words = [w for w in q.words if w not in STOP_WORDS] or q.words
        terms = [_phrase(w) for w in words] + [_phrase(*p) for p in q.phrases]
        match = f" {mode} ".join(terms)
        fts_match = self._with_filters(q, f"({match})")
        where, params = _plain_filters(q, "p.categories")
        where_sql = " AND ".join(where)
        if order == "date":
            return _fetch(
                f"SELECT p.id FROM {FTS} JOIN {PAPER} p ON p.id = {FTS}.rowid WHERE {FTS} "
                f"MATCH %s AND {where_sql} ORDER BY {BY_DATE} LIMIT %s",
                [fts_match, *params, limit],
            )
        # BM25 costs ~10 us a match: rank the newest RANK_WINDOW matches, then filter them.
        ids = _fetch(
            f"SELECT p.id FROM (SELECT rowid AS id, rank AS score FROM {FTS} WHERE {FTS} "
            f"MATCH %s ORDER BY rowid DESC LIMIT %s) AS m JOIN {PAPER} p ON p.id = m.id "
            f"WHERE {where_sql} ORDER BY m.score LIMIT %s",
            [fts_match, RANK_WINDOW, *params, limit],
        )
        if (
            len(ids) < limit
            and mode == "AND"
            and (q.categories or q.after or q.before)
            and self._count(fts_match, RANK_WINDOW + 1) > RANK_WINDOW
        ):
            # The window held too few papers that pass a narrow filter: filter every match
            # first (slower, but "learning cat:math.CT" must find the older papers too).
            ids = _fetch(
                f"SELECT id FROM (SELECT p.id AS id, {FTS}.rank AS score FROM {FTS} "
                f"JOIN {PAPER} p ON p.id = {FTS}.rowid WHERE {FTS} MATCH %s AND {where_sql} "
                f"ORDER BY {FTS}.rowid DESC LIMIT %s) ORDER BY score LIMIT %s",
                [fts_match, *params, RANK_WINDOW, limit],
            )
        return ids

    @staticmethod
    def _count(fts_match: str, most: int) -> int:
        """How many papers match, counting up to ``most`` (cheap: no ranking)."""
        sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)"
        return _fetch(sql, [fts_match, most])[0]

    def filter(self, q: Query, ids: list[int] | None, limit: int | None = None) -> list[int]:
        where, params = _plain_filters(q, "p.categories")
        id_where, id_params = _ids_condition(ids)
        where, params = where + id_where, params + id_params
        if q.authors:
            where.append(f"p.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)")
            params.append(" AND ".join(_author(a) for a in q.authors))
        if q.exclude:
            where.append(f"p.id NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)")
            params.append(" OR ".join(_phrase(*e) for e in q.exclude))
        sql = f"SELECT p.id FROM {PAPER} p WHERE {' AND '.join(where)}"
        if limit is not None:
            sql += f" ORDER BY {BY_DATE} LIMIT %s"
            params.append(limit)
        return _fetch(sql, params)

    @staticmethod
    def _with_filters(q: Query, match: str) -> str:
        for author in q.authors:
            match += f" AND {_author(author)}"
        if q.exclude:
            match += " NOT (" + " OR ".join(_phrase(*e) for e in q.exclude) + ")"
        return match


def _phrase(*words: str) -> str:
    """An FTS5 string: words are ``\\w+`` runs, but quote-doubling keeps it safe regardless."""
    return '"' + " ".join(words).replace('"', '""') + '"'


def _author(words: list[str]) -> str:
    return "authors : (" + " AND ".join(_phrase(w) for w in words) + ")"


class _Postgres:
    """The ``search_vector`` column: title (weight A) and abstract (B) stemmed as English,
    authors (C) as plain names, accents folded (see the migration); ranked by PG_RANK."""

    def run(self, q: Query, mode: str, limit: int, order: str) -> list[int]:
        op = " && " if mode == "AND" else " || "
        parts = [("plainto_tsquery('dailypapers_english', %s)", w) for w in q.words]
        parts += [("phraseto_tsquery('dailypapers_english', %s)", " ".join(p)) for p in q.phrases]
        tsquery = "(" + op.join(sql for sql, _ in parts) + ")"
        tsparams: list[Any] = [value for _, value in parts]
        extra, extra_params = self._text_filters(q)
        where, params = _plain_filters(q, "p.categories::text")
        query = f"WITH t AS (SELECT {tsquery} AS query) "
        matches = (
            f"FROM {PAPER} p, t WHERE p.search_vector @@ t.query {extra} AND {' AND '.join(where)}"
        )
        params = [*tsparams, *extra_params, *params]
        if order == "date":
            return _fetch(
                f"{query} SELECT p.id {matches} ORDER BY {BY_DATE} LIMIT %s", [*params, limit]
            )
        # ts_rank reads each row's whole tsvector: rank the newest RANK_WINDOW matches only.
        return _fetch(
            f"{query} SELECT p.id FROM (SELECT p.id {matches} ORDER BY p.id DESC LIMIT %s) AS m "
            f"JOIN {PAPER} p ON p.id = m.id, t "
            f"ORDER BY {PG_RANK} DESC, p.id LIMIT %s",
            [*params, RANK_WINDOW, limit],
        )

    def filter(self, q: Query, ids: list[int] | None, limit: int | None = None) -> list[int]:
        extra, extra_params = self._text_filters(q)
        where, params = _plain_filters(q, "p.categories::text")
        id_where, id_params = _ids_condition(ids)
        sql = f"SELECT p.id FROM {PAPER} p WHERE {' AND '.join(where + id_where)} {extra}"
        params = [*params, *id_params, *extra_params]
        if limit is not None:
            sql += f" ORDER BY {BY_DATE} LIMIT %s"
            params.append(limit)
        return _fetch(sql, params)

    @staticmethod
    def _text_filters(q: Query) -> tuple[str, list[Any]]:
        sql, params = "", []
        for author in q.authors:
            # Weight C holds the authors; \w+ words need no escaping inside quotes.
            sql += " AND p.search_vector @@ to_tsquery('dailypapers_names', %s)"
            params.append(" & ".join(f"'{w}':C" for w in author))
        for phrase in q.exclude:
            sql += " AND NOT p.search_vector @@ phraseto_tsquery('dailypapers_english', %s)"
            params.append(" ".join(phrase))
        return sql, params
