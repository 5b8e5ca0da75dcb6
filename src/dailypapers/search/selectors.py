"""Hybrid search: the one entry point for searching papers (the search page; the API and feeds
are to use it too), and what other apps use of search (``vectors_of`` for recommend; the query
language's ``MAX_QUERY``, ``QueryTooLong`` and ``words``): they import this module, never
search's engines.

Relevance (the default order) combines two ranked lists:

* keyword: papers with any of the words, by BM25 over every match (``lexical``);
* semantic: the nearest embeddings of the query's text (skipped, with a notice, when the model
  or the embeddings are not there yet);

by a convex combination of their normalised scores (Bruch et al., "An Analysis of Fusion
Functions for Hybrid Retrieval", 2023): ``KEYWORD_WEIGHT * bm25 / top bm25 + (1 -
KEYWORD_WEIGHT) * (cosine - MIN_SIMILARITY) / (1 - MIN_SIMILARITY)``, a paper missing from a
list scoring 0 there. Unlike rank fusion (which measured below BM25 alone on known-item
queries) it keeps how far apart scores are: meaning reorders close calls and brings in papers
without the query's words, but does not overturn a clear lead on words, which is what a
half-remembered sentence gives the paper it came from.

An exact arXiv id, an exact title or a paper's name (its title before the colon) goes first.
Filters (``author:``, ``cat:``, dates, ``-exclusions``) apply to both lists. ``date`` sorts
the papers containing all the words, newest first; ``votes`` reorders the relevant papers by
members' and imported upvotes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Min

from dailypapers.feed import selectors as feed
from dailypapers.papers import categories
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import embedding, lexical, vectors
from .encoder import ModelUnavailable
from .models import IndexChange
from .query import MAX_QUERY, Query, QueryTooLong, parse_query, words

SORTS = ("relevance", "date", "votes")
# Chosen by bench/fusion.py: the best worst-case margin over the better single list on
# SciFact nDCG@10 and known-item MRR@10 (sentences, keywords). Known-item queries want the
# keyword list (MRR 0.995 against the semantic list's 0.53); SciFact peaks at 0.45 (nDCG 0.736
# against 0.691 here) but there hybrid falls below plain BM25 on half-remembered sentences.
KEYWORD_WEIGHT = 0.95
DEPTH = 100  # candidates taken from each list for fusion
# A filter that leaves at most this many papers is applied before the vector search (an exact
# scan of those papers); broader ones after it, looking deeper until enough pass.
NARROW_FILTER = 20_000
MAX_RESULTS = 500  # for date order and filter-only queries
# Below this cosine similarity a paper is not about the query at all (MiniLM puts unrelated
# texts around 0-0.2): without a floor, every query would "find" the whole corpus.
MIN_SIMILARITY = 0.25
_UNDATED = dt.datetime.min.replace(tzinfo=dt.UTC)
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)  # an undated paper coined nothing first


@dataclass
class Results:
    """Ordered paper ids for a query; ``semantic_error`` says why semantic search was off."""

    query: Query
    sort: str
    ids: list[int] = field(default_factory=list)
    exact: int | None = None  # the paper matched by id or title, listed first
    semantic: bool = False
    semantic_error: str | None = None
    # While a backfill runs, how many papers the semantic list can find, of how many.
    semantic_coverage: embedding.Progress | None = None

    def papers(self, start: int, stop: int) -> list[Paper]:
        """Rows for ``ids[start:stop]``, in order, with their votes (``feed.with_votes``);
        a paper hidden since the index last caught up is left out."""
        return papers.in_order(self.ids[start:stop], feed.with_votes(papers.visible()))


def search(
    text: str, sort: str = "relevance", semantic: bool = True, keyword: bool = True
) -> Results:
    """Search visible papers for ``text`` (see ``query`` for the language); ``semantic`` and
    ``keyword`` turn either list off (benchmarks measure each alone). Raises ``QueryTooLong``
    past ``MAX_QUERY`` characters."""
    if len(text) > MAX_QUERY:
        raise QueryTooLong(len(text))
    q = parse_query(text)
    res = Results(query=q, sort=sort if sort in SORTS else "relevance")
    if q.arxiv_id:
        res.exact = papers.visible_pk(q.arxiv_id)
        res.ids = [res.exact] if res.exact else []
        return res
    if not q.has_text:
        res.ids = lexical.filtered(q, MAX_RESULTS) if q.has_filters else []
        return _reordered(res)
    if res.sort == "date":
        # Newest first among the papers with all the words: relevance is not needed then.
        res.ids = lexical.newest(q, MAX_RESULTS)
        if res.ids:
            return res
    matches = lexical.ranked(q, DEPTH) if keyword else []
    nearest: list[tuple[int, float]] = []
    if semantic:
        try:
            nearest = semantic_ranked(q, DEPTH)
            res.semantic = True
            coverage = embedding.progress()
            if coverage and coverage.embedded < coverage.total:
                res.semantic_coverage = coverage
        except ModelUnavailable as exc:
            res.semantic_error = str(exc)
    res.ids = fuse(matches, nearest)
    res.exact = _named(q)
    if res.exact is not None:
        res.ids = [res.exact] + [i for i in res.ids if i != res.exact]
    if res.sort == "date":  # no paper has all the words: the relevant ones, newest first
        res.ids = _by_date(res.ids)
    return _reordered(res)


def fuse(
    keyword: list[tuple[int, float]],
    semantic: list[tuple[int, float]],
    weight: float = KEYWORD_WEIGHT,
) -> list[int]:
    """Ids by the convex combination of the lists' normalised scores (module docstring);
    ties keep the keyword list's order, then the semantic list's."""
    combined: dict[int, float] = {}
    if keyword and keyword[0][1] > 0:
        top = keyword[0][1]
        for pk, score in keyword:
            combined[pk] = weight * score / top
    for pk, similarity in semantic:
        closeness = (similarity - MIN_SIMILARITY) / (1 - MIN_SIMILARITY)
        combined[pk] = combined.get(pk, 0.0) + (1 - weight) * max(closeness, 0.0)
    return sorted(combined, key=lambda pk: -combined[pk])


def vectors_of(paper_ids: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rows)``: the embeddings (float32, one row each, L2-normalised) of those of the
    papers that have one, ids ascending; on SQLite, as the vector index last published them."""
    return vectors.vectors_of(paper_ids)


@functools.lru_cache(maxsize=4096)
def _query_vector(text: str) -> np.ndarray:
    """The query's embedding, kept: paging through results does not embed it again."""
    vector = embedding.embed_query(text)
    vector.flags.writeable = False
    return vector


def semantic_ranked(q: Query, limit: int) -> list[tuple[int, float]]:
    """``(paper id, cosine)`` of the visible papers nearest to the query's text that pass its
    filters, nearest first, down to MIN_SIMILARITY."""
    embedding.encoder()  # ModelUnavailable when off or missing, even for a query seen before
    vector = _query_vector(q.semantic_text)
    if vectors.is_empty():
        raise ModelUnavailable("no paper is embedded yet; run `dailypapers embed`")
    among = lexical.filter_ids(q, NARROW_FILTER) if q.has_filters else None
    return _nearest_passing(
        vector, limit, MIN_SIMILARITY, among, lambda ids: lexical.matching(q, ids)
    )


def _nearest_passing(
    vector: np.ndarray,
    limit: int,
    floor: float,
    among: list[int] | None,
    passing: Callable[[list[int]], set[int]],
) -> list[tuple[int, float]]:
    """``(paper id, cosine)`` of the papers nearest to ``vector``, nearest first, down to
    ``floor``, that are ``passing``: a narrow filter gives ``among`` (searched exactly), a
    broad one is applied after the search, looking deeper until enough pass."""
    depth = limit
    while True:
        near = [
            (pk, similarity)
            for pk, similarity in vectors.nearest(vector, depth, among=among)
            if similarity >= floor
        ]
        keep = passing([pk for pk, _ in near])
        found = [(pk, similarity) for pk, similarity in near if pk in keep]
        # Enough, or nothing more above the floor, or the filter was applied already.
        if len(found) >= limit or len(near) < depth or among is not None or depth >= 64 * limit:
            return found[:limit]
        depth *= 4


# --- similar papers ---------------------------------------------------------------------------

# "Recent" similar papers: dated within this many days before the corpus's newest paper.
RECENT_DAYS = 365
# At most this many words of a paper's title (and abstract opening) make the keyword query.
KEYWORD_QUERY_WORDS = 48


@dataclass
class Similar:
    """A paper's neighbours and how they were found: ``"meaning"`` (embeddings) or
    ``"keywords"`` (BM25 on its title: ``similar_by_keywords``)."""

    papers: list[Paper]
    by: str


def similar(paper: Paper, limit: int = 5, since: dt.date | None = None) -> list[Paper]:
    """Visible papers nearest to ``paper`` in embedding space (dated ``since`` or later, when
    given: ``papers.dated_since``), with their votes; none until it is embedded."""
    vector = vectors.vector_of(paper.pk)
    if vector is None:
        return []
    depth = limit * 2 + 1  # room for the paper itself and papers hidden since
    if since is None:
        near = vectors.nearest(vector, depth)
    else:
        recent = papers.dated_since(since).values_list("pk", flat=True)
        among = list(recent[: NARROW_FILTER + 1])
        near = _nearest_passing(
            vector,
            depth,
            -1.0,
            among if len(among) <= NARROW_FILTER else None,
            lambda ids: set(recent.filter(pk__in=ids)),
        )
    ids = [pk for pk, _ in near if pk != paper.pk]
    return papers.in_order(ids, feed.with_votes(papers.visible()))[:limit]


def similar_by_keywords(paper: Paper, limit: int = 5, since: dt.date | None = None) -> list[Paper]:
    """Visible papers most like ``paper`` by BM25 on the words of its title, else (when that
    finds none) of its title and its abstract's first sentence; dated ``since`` or later,
    when given; with their votes. The title comes alone first: on PostgreSQL the rarest
    words of a long query choose the candidates (``postgres_text.SEED_TERMS``), and in a
    paper's own text those may be words that only it has."""
    first_sentence = re.split(r"(?<=[.!?])\s", paper.abstract, maxsplit=1)[0]
    found: list[int] = []
    for text in dict.fromkeys([paper.title, f"{paper.title} {first_sentence}".strip()]):
        # Only the words: a title's "-", ":" or quotes would otherwise read as query syntax.
        q = parse_query(" ".join(words(text)[:KEYWORD_QUERY_WORDS]))
        found = [pk for pk, _ in lexical.ranked(q, DEPTH) if pk != paper.pk]
        if since is not None:
            # Not the query's after:, which knows only submission dates (listings have none).
            dated = papers.dated_since(since).filter(pk__in=found)
            recent = set(dated.values_list("pk", flat=True))
            found = [pk for pk in found if pk in recent]
        if found:
            break
    return papers.in_order(found[: limit * 2], feed.with_votes(papers.visible()))[:limit]


def similar_papers(paper: Paper, limit: int = 5, recent: bool = False) -> Similar:
    """The paper page's "Similar papers": by meaning when semantic search is on and the paper
    is embedded, else (or when meaning finds none) by keywords. ``recent``: only papers dated
    within RECENT_DAYS before the corpus's newest paper."""
    newest = papers.newest_day() if recent else None
    # The corpus's newest day, not today: a corpus that lags behind arXiv (an old dump, a
    # stopped harvest) would otherwise have no recent papers at all.
    since = newest - dt.timedelta(days=RECENT_DAYS) if newest else None
    # Stored vectors need no model: only the switch and a published index are checked.
    if settings.DAILYPAPERS_SEMANTIC_SEARCH and not vectors.is_empty():
        found = similar(paper, limit, since)
        if found:
            return Similar(found, "meaning")
    return Similar(similar_by_keywords(paper, limit, since), "keywords")


def by_author(name: str, limit: int = MAX_RESULTS) -> list[Paper]:
    """Visible papers with ``name`` among their authors (case, accents and punctuation
    aside: "Schölkopf" is "Scholkopf"), newest first. The index finds papers with all the
    name's words in their author list; of those, the ones where one author is the name.
    With their votes (``feed.with_votes``)."""
    wanted = words(name)
    if not wanted:
        return []
    q = parse_query(" ".join(f"author:{w}" for w in wanted))
    found = papers.in_order(lexical.filtered(q, limit), feed.with_votes(papers.visible()))
    return [p for p in found if any(words(a) == wanted for a in p.authors)]


def newest_by_any(authors: Sequence[str], codes: Sequence[str], limit: int) -> list[Paper]:
    """Visible papers by any of ``authors`` (one of a paper's authors is the name, as in
    ``by_author``) or in any of the categories ``codes`` (an archive: all of its categories),
    newest first, with their votes: one search for all of them, however many (a member's
    follows)."""
    names = {tuple(w) for a in authors if (w := words(a))}
    wanted = {categories.canonical(c) for c in codes if categories.is_code(c)}
    # A name's words in a row in the author list: nearly always one of its authors; twice as
    # many candidates as needed leave room for the others.
    ids = lexical.newest_of_any([list(n) for n in names], sorted(wanted), 2 * limit)
    found = papers.in_order(ids, feed.with_votes(papers.visible()))
    lowered = {c.lower() for c in wanted}

    def followed(p: Paper) -> bool:
        mine = {c.lower() for c in p.categories}
        mine |= {c.split(".", 1)[0] for c in mine}
        return not mine.isdisjoint(lowered) or any(tuple(words(a)) in names for a in p.authors)

    rows = filter(followed, found)
    return sorted(rows, key=lambda p: (p.published or _UNDATED, p.pk), reverse=True)[:limit]


def _named(q: Query) -> int | None:
    """The paper the query names (case, accents and punctuation aside): the one whose whole
    title it is, else the one whose title's name before the colon it is ("MinerU2.5" for
    "MinerU2.5: ..."); of several of those, the first published, which coined the name."""
    wanted = words(q.text)
    if q.has_filters or not 1 <= len(wanted) <= 40:
        return None
    titles = Paper.objects.filter(id__in=lexical.title_candidates(wanted)).values_list(
        "id", "title", "published"
    )
    typed = " ".join(q.text.split()).casefold()
    named = []
    for pk, title, published in titles:
        if len(wanted) >= 2 and words(title) == wanted:
            return pk
        head, colon, _ = title.partition(":")
        if colon and words(head) == wanted:
            # As typed first: "ILLUME+" is not "ILLUME", though their words are the same.
            as_typed = " ".join(head.split()).casefold() == typed
            named.append((not as_typed, published or _NEVER, pk))
    return min(named)[2] if named else None


def _by_date(ids: list[int]) -> list[int]:
    published = dict(Paper.objects.filter(id__in=ids).values_list("id", "published"))
    return sorted(ids, key=lambda i: published.get(i) or _UNDATED, reverse=True)


def _reordered(res: Results) -> Results:
    if res.sort == "votes":
        votes = feed.vote_totals(res.ids)
        res.ids.sort(key=lambda i: -votes.get(i, 0))  # stable
    return res


@dataclass(frozen=True)
class Backlog:
    """How far search is behind the corpus: papers changed and not in the keyword index yet,
    and visible papers not embedded yet, each with when the oldest of them changed."""

    keyword: int
    keyword_since: dt.datetime | None
    semantic: int
    semantic_since: dt.datetime | None


def index_backlog() -> Backlog:
    """Search's backlog, for /healthz (two indexed aggregate queries)."""
    changed = Paper.objects.filter(pk__in=IndexChange.objects.values("paper_id"))
    keyword = changed.aggregate(n=Count("pk"), since=Min("modified_at"))
    if settings.DAILYPAPERS_SEMANTIC_SEARCH:
        unembedded = papers.visible().filter(embedding__isnull=True)
        semantic = unembedded.aggregate(n=Count("pk"), since=Min("created_at"))
    else:
        semantic = {"n": 0, "since": None}
    return Backlog(keyword["n"], keyword["since"], semantic["n"], semantic["since"])
