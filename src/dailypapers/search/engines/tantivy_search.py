"""Keyword search on the embedded default's tantivy index (``tantivy_index``): a parsed query
as tantivy clauses, BM25 over every match with block-max WAND."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import tantivy
from tantivy import Occur, Query

from ..query import Query as ParsedQuery
from . import tantivy_index
from .interfaces import KeywordEngine
from .tantivy_index import SCHEMA, analyze


class TantivySearch(KeywordEngine):
    """The keyword engine on SQLite."""

    def ranked(
        self, q: ParsedQuery, words: list[str], limit: int, also: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        extra = [c for w in also if (c := word_clause(w)) is not None]
        return run(_text(q, words), conditions(q), limit, also=extra)

    def newest(self, q: ParsedQuery, words: list[str], limit: int) -> list[int]:
        found = run(_text(q, words), conditions(q), limit, all_text=True, newest_first=True)
        return [pk for pk, _ in found]

    def filtered(self, q: ParsedQuery, limit: int, ordered: bool = True) -> list[int]:
        return [pk for pk, _ in run([], conditions(q), limit, newest_first=ordered)]

    def matching(self, q: ParsedQuery, ids: Sequence[int]) -> set[int]:
        return {pk for pk, _ in run([], conditions(q), len(ids), among=list(ids))}

    def title_candidates(self, words: list[str]) -> list[int]:
        return title_phrase(words, 50)

    def newest_of_any(
        self, authors: list[list[str]], categories: list[str], limit: int
    ) -> list[int]:
        found = run([], any_of(authors, categories), limit, newest_first=True)
        return [pk for pk, _ in found]

    def open(self) -> None:
        tantivy_index.current()

    def update(self, ids: list[int], then: Callable[[], object]) -> bool:
        if not tantivy_index.update(ids):
            return False
        then()
        return True

    def rebuild(self) -> int:
        return tantivy_index.rebuild()


def _text(q: ParsedQuery, words: list[str]) -> list[Query]:
    clauses = [word_clause(w) for w in words] + [phrase_clause(p) for p in q.phrases]
    return [c for c in clauses if c is not None]


def word_clause(word: str) -> Query | None:
    """One query word: BM25 of its terms in the paper's text."""
    return _any(Query.term_query(SCHEMA, "text", t) for t in analyze("dp_english", word))


def phrase_clause(
    words: list[str], field: str = "text", analyzer: str = "dp_english"
) -> Query | None:
    """Words in a row in the paper's text (or in another field, under its analyzer)."""
    terms: list[str | tuple[int, str]] = [t for w in words for t in analyze(analyzer, w)]
    if len(terms) > 1:
        return Query.phrase_query(SCHEMA, field, terms)
    return Query.term_query(SCHEMA, field, terms[0]) if terms else None


def _any(clauses: Iterable[Query]) -> Query | None:
    clauses = list(clauses)
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return Query.boolean_query([(Occur.Should, c) for c in clauses])


def _filter(query: Query) -> Query:
    """A condition that must hold but adds nothing to the score."""
    return Query.const_score_query(query, 0.0)


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


@dataclass
class Conditions:
    """A query's filters as tantivy clauses: ``must`` hold, ``must_not`` must not."""

    must: list[Query]
    must_not: list[Query]


def conditions(q: ParsedQuery) -> Conditions:
    """q's filters: authors, categories, dates and exclusions."""
    must = []
    for author in q.authors:  # every word of the name, anywhere in the author list
        terms = [t for w in author for t in analyze("dp_names", w)]
        must += [_filter(Query.term_query(SCHEMA, "authors", t)) for t in terms]
    if q.categories:
        wanted = [c.lower() for c in q.categories]
        must.append(_filter(Query.term_set_query(SCHEMA, "categories", wanted)))
    if q.after or q.before:
        low = _epoch(q.after) if q.after else None
        high = _epoch(q.before) if q.before else None
        must.append(
            _filter(
                Query.range_query(
                    SCHEMA,
                    "published",
                    tantivy.FieldType.Integer,
                    low,
                    high,
                    include_upper=high is None,
                )
            )
        )
    must_not = [c for words in q.exclude if (c := phrase_clause(words)) is not None]
    return Conditions(must, must_not)


def any_of(authors: list[list[str]], categories: list[str]) -> Conditions:
    """One condition: any of ``authors`` (a name's words in a row in the author list) or any
    of ``categories``; nothing to match (neither given) is no condition."""
    options = [c for name in authors if (c := phrase_clause(name, "authors", "dp_names"))]
    if categories:
        wanted = [c.lower() for c in categories]
        options.append(Query.term_set_query(SCHEMA, "categories", wanted))
    either = _any(options)
    return Conditions([] if either is None else [_filter(either)], [])


def run(
    text: list[Query],
    where: Conditions,
    limit: int,
    all_text: bool = False,
    newest_first: bool = False,
    among: list[int] | None = None,
    also: Sequence[Query] = (),
) -> list[tuple[int, float]]:
    """``(paper id, score)`` of the best ``limit`` matches of the ``text`` clauses (any of
    them, ranked by BM25; every one with ``all_text``) under ``where``; newest first with
    ``newest_first``; only papers in ``among`` when given. ``also`` adds to a match's score
    without making a paper match."""
    if all_text:
        clauses = [(Occur.Must, q) for q in text]
    else:  # at least one of them: beside the filters' Must, a bare Should would be optional
        clauses = [(Occur.Must, q)] if (q := _any(text)) is not None else []
    if clauses:
        clauses += [(Occur.Should, q) for q in also]
    clauses += [(Occur.Must, q) for q in where.must]
    clauses += [(Occur.MustNot, q) for q in where.must_not]
    if among is not None:
        clauses.append((Occur.Must, _filter(Query.term_set_query(SCHEMA, "id", among))))
    if not any(o != Occur.MustNot for o, _ in clauses):
        clauses.append((Occur.Must, Query.all_query()))
    searcher = tantivy_index.current().searcher()
    query = Query.boolean_query(clauses)
    if newest_first:
        found = searcher.search(query, limit, count=False, order_by_field="published")
    else:
        found = searcher.search(query, limit, count=False)
    return [
        (pk, float(score or 0))
        for pk, (score, _) in zip(_ids(searcher, found), found.hits, strict=True)
    ]


def _ids(searcher: tantivy.Searcher, found: tantivy.SearchResult) -> list[int]:
    return [int(pk or 0) for pk in searcher.fast_field_values("id", [a for _, a in found.hits])]


def title_phrase(words: list[str], limit: int) -> list[int]:
    """Papers whose title has ``words`` in a row: candidates for an exact-title match."""
    query = phrase_clause(words, "title")
    if query is None:
        return []
    searcher = tantivy_index.current().searcher()
    return _ids(searcher, searcher.search(query, limit, count=False))
