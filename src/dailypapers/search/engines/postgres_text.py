"""Keyword search on PostgreSQL, inside the database so that every web process sees one index.

The paper table's generated ``search_vector`` (title weight A and abstract B stemmed as
English, authors C as plain names, accents folded; migration ``search.0001``), with its GIN
index, answers exclusions, phrases and the all-words date order; authors, categories and
dates have indexes of their own (``search.0005``).

Relevance is BM25 over an inverted index in tables (migration ``search.0004``), kept by the
worker from the papers changed (``sync``, like the tantivy index on SQLite):

    score(paper) = sum over query terms t of  idf(t) * impact(t, paper)
    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
    impact = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / mean length))

with ``tf`` the term's occurrences in title, abstract and authors together (one text, as on
SQLite: see tantivy_index, where weighting the title lost on known-item queries). The stop
words that search_vector drops are indexed too, under STOP_PREFIX: as on SQLite they add to
the score of a paper that matches on other words, but never make one match. A query
reads, for each term, its IMPACT_DEPTH best postings (every posting of all but the commonest
terms) to choose a pool of candidates, then scores the pool whole (every query term, through
the postings' index by paper), so the cost grows with the query's length, not with how many
papers match it. A paper outside the pool is one that none of the query's terms ranks among
its IMPACT_DEPTH best: for a rare term that is every paper with it. Under an ``author:``
filter the candidates are the author's papers instead, when few enough (PROBES).

Words and phrases reach SQL as parameters (lexemes, ``phraseto_tsquery`` text), never as
syntax.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction

from dailypapers.papers.models import Paper

from ..query import STOP_WORDS, Query
from .interfaces import KeywordEngine

PAPER = connection.ops.quote_name(Paper._meta.db_table)
BY_DATE = "p.published DESC NULLS LAST, p.id DESC"
K1, B = 1.2, 0.75  # BM25's usual constants
IMPACT_DEPTH = 6000  # postings read per query term
POOL = 300  # candidates scored whole
SEED_TERMS = 8  # the query's rarest terms choose the candidates
PROBES = 50_000  # postings probed, at most, to score the papers of a query's authors whole
# Stop words are indexed apart from the text search configuration (which drops them) under
# this prefix: no lexeme of PostgreSQL's parser holds a space ("~" starts some: "~2").
STOP_PREFIX = " "
STOP_LIST = sorted(STOP_WORDS)
CHUNK = 2000  # papers indexed per statement


def _fetch(sql: str, params: Sequence[Any]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _tsquery(q: Query, words: list[str], op: str) -> tuple[str, list[Any]]:
    parts = [("plainto_tsquery('dailypapers_english', %s)", w) for w in words]
    parts += [("phraseto_tsquery('dailypapers_english', %s)", " ".join(p)) for p in q.phrases]
    return "(" + op.join(sql for sql, _ in parts) + ")", [value for _, value in parts]


def plain_filters(q: Query) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``p`` (the paper table) for q's categories and dates, and visibility."""
    where: list[str] = ["p.hidden = %s"]
    params: list[Any] = [False]
    if q.categories:
        likes = []
        for cat in q.categories:
            likes.append("p.categories::text LIKE %s")
            params.append(f'%"{cat}"%')
            if "." not in cat:  # a whole archive: cs matches cs.CL, cs.LG...
                likes.append("p.categories::text LIKE %s")
                params.append(f'%"{cat}.%')
        where.append(f"({' OR '.join(likes)})")
    if q.after:
        where.append("p.published >= %s")
        params.append(q.after.isoformat())
    if q.before:
        where.append("p.published < %s")
        params.append(q.before.isoformat())
    return where, params


# The authors as search_vector holds them (weight C), from their own index (search.0005), match
# a tsquery; \w+ words need no escaping inside its quotes.
_AUTHORS_MATCH = (
    "to_tsvector('dailypapers_names', p.authors::text) @@ to_tsquery('dailypapers_names', %s)"
)


def text_filters(q: Query) -> tuple[str, list[Any]]:
    """Conditions for q's authors and exclusions (they need the text index)."""
    sql, params = "", []
    for author in q.authors:
        sql += f" AND {_AUTHORS_MATCH}"
        params.append(" & ".join(f"'{w}'" for w in author))
    for phrase in q.exclude:
        sql += " AND NOT p.search_vector @@ phraseto_tsquery('dailypapers_english', %s)"
        params.append(" ".join(phrase))
    return sql, params


def _lexemes(words: list[str]) -> list[str]:
    """The index terms of ``words`` as title and abstract are indexed (English stems), which
    also match most names (authors are indexed unstemmed); the unstemmed forms themselves
    would match authors named like common words ("Model") at the IDF of a rare term."""
    rows = _fetch(
        "SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('dailypapers_english', %s)) u",
        [" ".join(words)],
    )
    return [lexeme for (lexeme,) in rows]


def ranked(
    q: Query, words: list[str], limit: int, also: Sequence[str] = ()
) -> list[tuple[int, float]]:
    """``(paper id, BM25)`` of the best ``limit`` papers with any of ``words`` or q's phrases,
    under q's filters (a phrase adds its words' weight to the papers that have it whole).
    The stop words in ``also`` add to a match's score without making a paper match."""
    phrase_words = [w for phrase in q.phrases for w in phrase]
    matching = _lexemes(words + phrase_words)
    stops = {STOP_PREFIX + w for w in [*words, *also] if w in STOP_WORDS}
    if not matching:  # nothing but stop words: they are the query
        matching, stops = list(stops), set()
    terms = _fetch(
        "SELECT t.id, t.docs, t.term = ANY(%s) FROM search_term t "
        "WHERE t.term = ANY(%s) AND t.docs > 0",
        [matching, [*matching, *stops]],
    )
    docs = _fetch("SELECT count(*) FROM search_document", [])[0][0]
    weights = {term: math.log(1 + (docs - df + 0.5) / (df + 0.5)) for term, df, _ in terms}
    matches = [term for term, _, match in terms if match]
    if not matches:
        return []
    seeds = set(sorted(matches, key=weights.__getitem__, reverse=True)[:SEED_TERMS])
    values = ", ".join(["(%s, %s::real, %s, %s)"] * len(weights))
    terms_params = [x for t, w in weights.items() for x in (t, w, t in seeds, t in matches)]
    extra, extra_params = text_filters(q)
    where, params = plain_filters(q)
    bonus, bonus_params = "", []
    for phrase in q.phrases:
        bonus += " + CASE WHEN p.search_vector @@ phraseto_tsquery('dailypapers_english', %s) "
        bonus += "THEN %s ELSE 0 END"
        bonus_params += [" ".join(phrase), sum(weights.values()) / len(weights)]
    with_terms = f"WITH q (term_id, idf, seed, match) AS (VALUES {values}), "
    # The candidates' whole scores, every query term probed per candidate (a join here would
    # read every posting of the terms); a candidate must have a term that matches.
    scored = (
        "exact AS (SELECT best.paper_id, x.score, x.matched FROM best CROSS JOIN LATERAL "
        "(SELECT sum(q.idf * s.impact) AS score, bool_or(q.match) AS matched FROM q "
        "JOIN search_posting s ON s.paper_id = best.paper_id AND s.term_id = q.term_id) x) "
        f"SELECT p.id, exact.score{bonus} AS score FROM exact JOIN {PAPER} p ON p.id = "
        "exact.paper_id WHERE exact.matched AND "
    )
    if q.authors:
        # An author's papers are usually few enough to score whole: found by the names'
        # index, they beat drawing ever larger pools until enough are the author's.
        most = PROBES // len(weights)
        narrow = filtered(q, None, most + 1)
        if len(narrow) <= most:
            rows = _fetch(
                with_terms + "best AS (SELECT unnest(%s::bigint[]) AS paper_id), " + scored
                + "TRUE ORDER BY score DESC, p.id LIMIT %s",
                [*terms_params, narrow, *bonus_params, limit],
            )  # fmt: skip
            return [(pk, float(score)) for pk, score in rows]
    pool, depth = max(POOL, limit), IMPACT_DEPTH
    while True:
        rows = _fetch(
            with_terms +
            "best AS (SELECT top.paper_id FROM q CROSS JOIN LATERAL (SELECT paper_id, impact "
            "FROM search_posting s WHERE s.term_id = q.term_id ORDER BY impact DESC LIMIT %s) "
            "top WHERE q.seed GROUP BY top.paper_id ORDER BY sum(q.idf * top.impact) DESC "
            "LIMIT %s), " + scored +
            f"{' AND '.join(where)} {extra} ORDER BY score DESC, p.id LIMIT %s",
            [*terms_params, depth, pool, *bonus_params, *params, *extra_params, limit],
        )  # fmt: skip
        # Filters can reject most of the pool: look deeper until enough pass, or all did.
        if len(rows) >= limit or pool >= 64 * max(POOL, limit):
            return [(pk, float(score)) for pk, score in rows]
        pool, depth = pool * 8, depth * 8


def newest(q: Query, words: list[str], limit: int) -> list[int]:
    tsquery, tsparams = _tsquery(q, words, " && ")
    extra, extra_params = text_filters(q)
    where, params = plain_filters(q)
    rows = _fetch(
        f"WITH t AS (SELECT {tsquery} AS query) SELECT p.id FROM {PAPER} p, t "
        f"WHERE p.search_vector @@ t.query {extra} AND {' AND '.join(where)} "
        f"ORDER BY {BY_DATE} LIMIT %s",
        [*tsparams, *extra_params, *params, limit],
    )
    return [pk for (pk,) in rows]


def filtered(q: Query, ids: Sequence[int] | None, limit: int | None = None) -> list[int]:
    """Visible papers passing q's filters (only ``ids``, when given), the first ``limit`` by
    date when given."""
    extra, extra_params = text_filters(q)
    where, params = plain_filters(q)
    if ids is not None:
        where.append(f"p.id IN ({', '.join(['%s'] * len(ids))})")
        params += list(ids)
    sql = f"SELECT p.id FROM {PAPER} p WHERE {' AND '.join(where)} {extra}"
    params += extra_params
    if limit is not None:
        sql += f" ORDER BY {BY_DATE} LIMIT %s"
        params.append(limit)
    return [pk for (pk,) in _fetch(sql, params)]


def newest_of_any(authors: list[list[str]], categories: list[str], limit: int) -> list[int]:
    """Visible papers with any of ``authors`` (a name's words in a row) or in any of
    ``categories``, newest first: one statement, whose branches each take their own index
    (the authors', the dates' that holds the categories)."""
    branches: list[tuple[str, list[Any]]] = []
    if authors:
        names = " | ".join("(" + " <-> ".join(f"'{w}'" for w in name) + ")" for name in authors)
        branches.append((_AUTHORS_MATCH, [names]))
    if categories:
        where, params = plain_filters(Query(categories=categories))
        branches.append((where[1], params[1:]))  # without its visibility, which comes below
    sql = " UNION ".join(
        f"(SELECT p.id, p.published FROM {PAPER} p WHERE p.hidden = %s AND {condition} "
        f"ORDER BY {BY_DATE} LIMIT %s)"
        for condition, _ in branches
    )
    params = [v for _, values in branches for v in (False, *values, limit)]
    sql = f"SELECT p.id FROM ({sql}) p ORDER BY {BY_DATE} LIMIT %s"
    return [pk for (pk,) in _fetch(sql, [*params, limit])]


def exact_title(words: list[str]) -> list[int]:
    """Visible papers whose title, or its name before the colon, has exactly these words (two
    index probes)."""
    key = " ".join(words)
    sql = (
        f"SELECT p.id FROM {PAPER} p WHERE p.hidden = %s AND (search_title_key(p.title) = %s "
        "OR (strpos(p.title, ':') > 0 AND search_title_key(split_part(p.title, ':', 1)) = %s)) "
        "LIMIT 50"
    )
    return [pk for (pk,) in _fetch(sql, [False, key, key])]


# --- upkeep ------------------------------------------------------------------------------------


def sync(ids: Sequence[int]) -> None:
    """Re-index these papers: their old postings out, the visible ones' new postings in, and
    the document frequencies following. One process at a time: see ``PostgresText.update``."""
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            cursor.execute(
                "WITH gone AS (DELETE FROM search_posting WHERE paper_id = ANY(%s) "
                "RETURNING term_id) UPDATE search_term t SET docs = t.docs - g.n FROM "
                "(SELECT term_id, count(*) AS n FROM gone GROUP BY term_id) g "
                "WHERE t.id = g.term_id",
                [chunk],
            )
            cursor.execute("DELETE FROM search_document WHERE paper_id = ANY(%s)", [chunk])
            _add(cursor, "p.id = ANY(%s)", [chunk])


def rebuild() -> int:
    """Index every visible paper from scratch; how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE search_posting, search_document, search_term")
        _add(cursor, "TRUE", [])
        cursor.execute("SELECT count(*) FROM search_document")
        count = cursor.fetchone()[0]
    if not connection.in_atomic_block:  # VACUUM cannot run inside a transaction
        # The visibility map lets the postings' covering indexes answer without the table:
        # queries right after a rebuild would otherwise read the table for every posting.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) search_posting, search_document, search_term")
    return count


# A paper's terms and their counts (``lexeme``, ``tf``): the lexemes of its search_vector and,
# prefixed, the stop words of its title and abstract. Takes STOP_PREFIX and STOP_LIST.
TERMS_OF_P = (
    "(SELECT u.lexeme, cardinality(u.positions) AS tf FROM unnest(p.search_vector) u "
    "UNION ALL SELECT %s || s.lexeme, cardinality(s.positions) "
    "FROM unnest(to_tsvector('simple', p.title || ' ' || p.abstract)) s "
    "WHERE s.lexeme = ANY(%s))"
)


def _add(cursor: Any, where: str, params: list[Any]) -> None:
    """Postings, terms and document rows for the visible papers ``where`` selects."""
    stops = [STOP_PREFIX, STOP_LIST]
    cursor.execute(
        "INSERT INTO search_document (paper_id, length) SELECT p.id, "
        f"(SELECT coalesce(sum(w.tf), 0) FROM {TERMS_OF_P} w) "
        f"FROM {PAPER} p WHERE NOT p.hidden AND {where}",
        [*stops, *params],
    )
    cursor.execute(
        f"INSERT INTO search_term (term) SELECT DISTINCT w.lexeme FROM {PAPER} p, "
        f"LATERAL {TERMS_OF_P} w WHERE NOT p.hidden AND {where} ON CONFLICT (term) DO NOTHING",
        [*stops, *params],
    )
    cursor.execute("SELECT coalesce(avg(length), 1) FROM search_document")
    mean_length = float(cursor.fetchone()[0]) or 1.0
    cursor.execute(
        "WITH added AS (INSERT INTO search_posting (term_id, paper_id, impact) "
        "SELECT t.id, p.id, (w.tf * %s / (w.tf + %s * (1 - %s + %s * d.length / %s)))::real "
        f"FROM {PAPER} p JOIN search_document d ON d.paper_id = p.id, "
        f"LATERAL {TERMS_OF_P} w JOIN search_term t ON t.term = w.lexeme "
        f"WHERE NOT p.hidden AND {where} RETURNING term_id) "
        "UPDATE search_term t SET docs = t.docs + a.n FROM "
        "(SELECT term_id, count(*) AS n FROM added GROUP BY term_id) a WHERE t.id = a.term_id",
        [K1 + 1, K1, B, B, mean_length, *stops, *params],
    )


class PostgresText(KeywordEngine):
    """The keyword engine on PostgreSQL: this module's functions."""

    def ranked(
        self, q: Query, words: list[str], limit: int, also: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        return ranked(q, words, limit, also)

    def newest(self, q: Query, words: list[str], limit: int) -> list[int]:
        return newest(q, words, limit)

    def filtered(self, q: Query, limit: int, ordered: bool = True) -> list[int]:
        return filtered(q, None, limit)  # newest first either way: the dates' index serves it

    def matching(self, q: Query, ids: Sequence[int]) -> set[int]:
        return set(filtered(q, ids))

    def title_candidates(self, words: list[str]) -> list[int]:
        return exact_title(words)

    def newest_of_any(
        self, authors: list[list[str]], categories: list[str], limit: int
    ) -> list[int]:
        return newest_of_any(authors, categories, limit)

    def open(self) -> None:
        pass  # tables, made by the migrations

    def update(self, ids: list[int], then: Callable[[], object]) -> bool:
        with transaction.atomic():
            with connection.cursor() as cursor:  # one sync at a time: postings stay single
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('search.sync'))")
            sync(ids)
            then()
        return True

    def rebuild(self) -> int:
        return rebuild()
