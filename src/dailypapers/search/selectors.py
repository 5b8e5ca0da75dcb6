"""Hybrid search: the one entry point for searching papers (the search page; the API and feeds
are to use it too).

Relevance (the default order) fuses two ranked lists by reciprocal rank fusion,
``score(paper) = sum over lists of 1 / (RRF_K + rank)``, ranks from 1:

* keyword: every word matches (BM25 / ts_rank), topped up with papers matching any word;
* semantic: nearest embeddings of the query text (skipped, with a notice, when the model is
  unavailable).

An exact arXiv id or an exact title goes first. Filters (``author:``, ``cat:``, dates,
``-exclusions``) apply to both lists. ``date`` sorts the papers containing all the words,
newest first; ``votes`` reorders the relevant papers by members' and imported upvotes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dailypapers.feed import selectors as feed
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import embedding, lexical, vectors
from .encoder import ModelUnavailable
from .query import Query, parse_query, words

SORTS = ("relevance", "date", "votes")
RRF_K = 60
DEPTH = 100  # candidates taken from each list for fusion
MAX_RESULTS = 500  # for date order and filter-only queries
# Below this cosine similarity a paper is not about the query at all (MiniLM puts unrelated
# texts around 0-0.2): without a floor, every query would "find" the whole corpus.
MIN_SIMILARITY = 0.25
_UNDATED = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass
class Results:
    """Ordered paper ids for a query; ``semantic_error`` says why semantic search was off."""

    query: Query
    sort: str
    ids: list[int] = field(default_factory=list)
    exact: int | None = None  # the paper matched by id or title, listed first
    semantic: bool = False
    semantic_error: str | None = None

    def papers(self, start: int, stop: int) -> list[Paper]:
        """Rows for ``ids[start:stop]``, in order, with their votes (``feed.with_votes``)."""
        return papers.in_order(self.ids[start:stop], feed.with_votes(Paper.objects.all()))


def search(text: str, sort: str = "relevance", semantic: bool = True) -> Results:
    """Search visible papers for ``text`` (see ``query`` for the language)."""
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
        res.ids = lexical.search(q, MAX_RESULTS, order="date", any_words=False)
        if res.ids:
            return res
    keyword = lexical.search(q, DEPTH)
    nearest: list[int] = []
    if semantic:
        try:
            nearest = semantic_ids(q, DEPTH)
            res.semantic = True
        except ModelUnavailable as exc:
            res.semantic_error = str(exc)
    res.ids = fuse([keyword, nearest])
    res.exact = _exact_title(q)
    if res.exact is not None:
        res.ids = [res.exact] + [i for i in res.ids if i != res.exact]
    if res.sort == "date":  # no paper has all the words: the relevant ones, newest first
        res.ids = _by_date(res.ids)
    return _reordered(res)


def fuse(lists: list[list[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, pk in enumerate(ranked, start=1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda pk: -scores[pk])


def semantic_ids(q: Query, limit: int) -> list[int]:
    """Visible papers nearest to the query's text that pass its filters, nearest first."""
    vector = embedding.embed_query(q.semantic_text)
    if vectors.is_empty():
        raise ModelUnavailable("no paper is embedded yet; run `dailypapers embed`")
    # Filters are applied after the scan, so look deeper when they may remove many.
    depth = limit * 10 if q.has_filters else limit
    ids = [pk for pk, similarity in vectors.nearest(vector, depth) if similarity >= MIN_SIMILARITY]
    keep = lexical.matching(q, ids)
    return [i for i in ids if i in keep][:limit]


def similar(paper: Paper, limit: int = 5) -> list[Paper]:
    """Visible papers nearest to ``paper`` in embedding space; none until it is embedded."""
    vector = vectors.vector_of(paper.pk)
    if vector is None:
        return []
    near = [pk for pk, _ in vectors.nearest(vector, limit * 2 + 1) if pk != paper.pk]
    visible = lexical.matching(Query(), near)
    return papers.in_order([pk for pk in near if pk in visible][:limit])


def _exact_title(q: Query) -> int | None:
    """The paper whose title is exactly the query (case, accents and punctuation aside)."""
    wanted = words(q.text)
    if q.has_filters or not 2 <= len(wanted) <= 40:
        return None
    titles = Paper.objects.filter(id__in=lexical.phrase_in_title(wanted)).values_list("id", "title")
    return next((pk for pk, title in titles if words(title) == wanted), None)


def _by_date(ids: list[int]) -> list[int]:
    published = dict(Paper.objects.filter(id__in=ids).values_list("id", "published"))
    return sorted(ids, key=lambda i: published.get(i) or _UNDATED, reverse=True)


def _reordered(res: Results) -> Results:
    if res.sort == "votes":
        votes = feed.vote_totals(res.ids)
        res.ids.sort(key=lambda i: -votes.get(i, 0))  # stable
    return res
