"""The "for you" ranking: recent papers ordered for one member, each with its reason.

What a member tells us (``signals_of``): the papers they saved to a collection or upvoted
(liked), the papers they marked "not interested" (disliked), the authors and categories they
follow. From that, over the papers of the corpus's last ``days`` days by their arXiv date
(``papers.recent``):

1. the papers of followed authors, newest first ("new from X, whom you follow"), always;
2. then the rest by the member's model (``model.train``), raised for each author a paper
   shares with liked papers and for a followed category; each pick names the liked paper it
   shares an author with or is closest to, or its followed category when no liked paper is
   close;
3. or, while nothing liked has an embedding, the papers of the followed categories by votes.

Liked and disliked papers are never picks. Both the model and the ranking are cached under the
member's signal stamp, so that one more vote, save, "not interested" or follow makes the next
request rebuild them, and nothing else does: the ranking also expires after RANKING_TTL
seconds, which lets newly embedded papers in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import User
from django.core.cache import caches

from dailypapers.community import selectors as community
from dailypapers.feed import selectors as feed
from dailypapers.library import selectors as library
from dailypapers.library.models import Follow
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search

from . import model as taste

DEFAULT_DAYS = 7
MAX_DAYS = 90
POOL = 20_000  # the newest papers of a window that are ranked (a busy arXiv month of cs)
BACKGROUND_DAYS = 30  # the model's background sample is drawn from this window
RANKED = 200  # picks kept in a ranking
CATEGORY_BY_VOTES = 1_000  # newest papers of followed categories ordered by votes (step 3)
# Added to a paper's score, in standard deviations of the window's scores. Per shared author:
# chosen on bench/for_you.py --sweep --seed 5 --members 480 (Recall@20 at 0: 0.095, 0.3: 0.098,
# 0.5: 0.100, 0.7: 0.098).
AUTHOR_BONUS = 0.5
CATEGORY_BONUS = 1.0  # a followed category (not measured: the bench's members follow none)
CLOSE = 0.5  # cosine similarity under which a liked paper is too far to be the reason
RANKING_TTL = 600
MODEL_TTL = 7 * 24 * 3600
CACHE = "recommend"  # settings.CACHES: a table of its own


@dataclass(frozen=True)
class Reason:
    """Why a paper is picked: ``kind`` LIKE (``value`` "saved" or "upvoted", ``paper_id``
    the liked paper it is closest to, or the closest that shares ``author`` with it), AUTHOR
    or CATEGORY (``value`` the one followed)."""

    LIKE = "like"
    AUTHOR = "author"
    CATEGORY = "category"

    kind: str
    value: str
    paper_id: int | None = None
    author: str = ""


@dataclass(frozen=True)
class Signals:
    liked: dict[int, str]  # paper id: "saved" or "upvoted"
    disliked: set[int]
    authors: list[str]
    categories: list[str]


@dataclass(frozen=True)
class Ranking:
    picks: list[tuple[int, Reason]]
    start: dt.date | None  # the window: papers dated from ``start`` on
    end: dt.date | None
    cold: bool  # nothing to go on: no liked paper with an embedding, no follow
    unembedded: int  # liked papers without an embedding yet, which the model cannot use


@dataclass(frozen=True)
class Pick:
    paper: Paper
    reason: Reason
    because: Paper | None  # LIKE: the liked paper

    @property
    def why(self) -> str:
        """The reason in one line of plain text (digests)."""
        if self.reason.kind == Reason.AUTHOR:
            return f"New from {self.reason.value}, whom you follow"
        if self.reason.kind == Reason.CATEGORY:
            return f"New in {self.reason.value}, which you follow"
        title = self.because.title if self.because else "a paper"
        if self.reason.author:
            return f"By {self.reason.author}, an author of “{title}”, which you {self.reason.value}"
        return f"Close to “{title}”, which you {self.reason.value}"


def signals_of(user: User) -> Signals:
    liked = {pk: "upvoted" for pk in community.upvoted(user)}
    liked |= {pk: "saved" for pk in library.collected(user)}
    follows = list(library.follows_of(user))
    return Signals(
        liked=liked,
        disliked=library.dismissed_ids(user),
        authors=[f.value for f in follows if f.kind == Follow.Kind.AUTHOR],
        categories=[f.value for f in follows if f.kind == Follow.Kind.CATEGORY],
    )


def ranking(user: User, days: int = DEFAULT_DAYS) -> Ranking:
    """The member's ranking of the papers of the corpus's last ``days`` days (cached)."""
    newest = papers.newest_day()
    if newest is None:
        return Ranking([], None, None, cold=True, unembedded=0)
    stamp = _stamp(user)
    key = f"recommend.ranking:{user.pk}:{stamp}:{days}:{newest.isoformat()}"
    found = caches[CACHE].get(key)
    if found is None:
        found = _rank(user, stamp, signals_of(user), newest, days)
        caches[CACHE].set(key, found, RANKING_TTL)
    return found


def picks(
    user: User, limit: int, exclude: Iterable[int] = (), days: int = DEFAULT_DAYS
) -> list[Pick]:
    """The member's top ``limit`` picks, leaving out the ``exclude`` papers (e.g. those sent
    in an earlier digest)."""
    skip = set(exclude)
    chosen = [(pk, r) for pk, r in ranking(user, days).picks if pk not in skip][:limit]
    return with_papers(chosen)


def with_papers(chosen: Sequence[tuple[int, Reason]]) -> list[Pick]:
    """Picks with their papers (with votes) and the liked papers their reasons name; a
    paper hidden since the ranking was made is left out."""
    rows = feed.with_votes(papers.visible()).in_bulk([pk for pk, _ in chosen])
    because = Paper.objects.in_bulk([r.paper_id for _, r in chosen if r.paper_id])
    return [
        Pick(rows[pk], r, because.get(r.paper_id) if r.paper_id else None)
        for pk, r in chosen
        if pk in rows
    ]


def reorder(user: User, paper_ids: Sequence[int]) -> list[int] | None:
    """``paper_ids`` by the member's model, best first, those without an embedding after in
    the order given; None while the member has no model (no liked paper with an embedding)."""
    newest = papers.newest_day()
    signals = signals_of(user)
    liked_ids, liked = search.vectors_of(list(signals.liked))
    if newest is None or not len(liked_ids):
        return None
    m = _model(user, _stamp(user), signals, liked, newest)
    ids, matrix = search.vectors_of(paper_ids)
    order = ids[np.argsort(-m.scores(matrix), kind="stable")].tolist()
    have = set(order)
    return order + [pk for pk in paper_ids if pk not in have]


def _stamp(user: User) -> str:
    """Changes whenever one of the member's signals does (see the selectors it reads)."""
    state = (community.votes_stamp(user), library.stamp(user))
    return hashlib.blake2b(repr(state).encode(), digest_size=8).hexdigest()


def _rank(user: User, stamp: str, signals: Signals, newest: dt.date, days: int) -> Ranking:
    start = newest - dt.timedelta(days=days - 1)
    pool, keys = _pool(start)
    position = {r.pk: i for i, r in enumerate(pool)}
    skip = signals.liked.keys() | signals.disliked
    chosen: dict[int, Reason] = {}
    for name in signals.authors:
        for p in search.by_author(name):
            if p.pk in position and p.pk not in skip:
                chosen.setdefault(p.pk, Reason(Reason.AUTHOR, name))
    pinned = sorted(chosen.items(), key=lambda item: position[item[0]])
    candidates = {r.pk: r for r in pool if r.pk not in skip and r.pk not in chosen}
    liked_ids, liked = search.vectors_of(list(signals.liked))
    room = RANKED - len(pinned)
    if len(liked_ids):
        m = _model(user, stamp, signals, liked, newest)
        ranked = _by_model(m, candidates, keys, signals, liked_ids, liked, room)
    else:
        ranked = _by_votes(candidates, set(signals.categories), room)
    cold = not len(liked_ids) and not signals.authors and not signals.categories
    unembedded = len(signals.liked) - len(liked_ids)
    return Ranking(pinned + ranked, start, newest, cold=cold, unembedded=unembedded)


def _by_model(
    m: taste.Model,
    candidates: dict[int, papers.Recent],
    keys: dict[int, list[str]],
    signals: Signals,
    liked_ids: np.ndarray,
    liked: np.ndarray,
    limit: int,
) -> list[tuple[int, Reason]]:
    """The candidates by the model's score in standard deviations (so that the bonuses have
    one scale), plus AUTHOR_BONUS for each author they share with liked papers and
    CATEGORY_BONUS for a followed category."""
    ids, matrix = search.vectors_of(list(candidates))
    if not len(ids):  # nothing embedded in the window yet
        return []
    scores = m.scores(matrix)
    scores = (scores - scores.mean()) / (scores.std() or 1.0)
    liked_by = _liked_by_author(liked_ids)
    shared = [
        [name for name, key in zip(r.authors, keys[r.pk], strict=True) if key in liked_by]
        for r in (candidates[pk] for pk in ids.tolist())
    ]
    scores += AUTHOR_BONUS * np.array([len(names) for names in shared])
    followed = set(signals.categories)
    mine = [sorted(followed & set(candidates[pk].categories)) for pk in ids.tolist()]
    scores += CATEGORY_BONUS * np.array([bool(cats) for cats in mine])
    top = np.argsort(-scores, kind="stable")[:limit]
    closeness = matrix[top] @ liked.T
    row_of = {pk: i for i, pk in enumerate(liked_ids.tolist())}
    ranked = []
    for row, near in zip(top.tolist(), closeness, strict=True):
        pk, names = int(ids[row]), shared[row]
        if names:  # the closest of the liked papers by that author
            by = liked_by[Follow.key_of(names[0])]
            liked_pk = max(by, key=lambda i: near[row_of[i]])
            reason = Reason(Reason.LIKE, signals.liked[liked_pk], liked_pk, author=names[0])
        elif mine[row] and near.max() < CLOSE:
            reason = Reason(Reason.CATEGORY, mine[row][0])
        else:
            liked_pk = int(liked_ids[near.argmax()])
            reason = Reason(Reason.LIKE, signals.liked[liked_pk], liked_pk)
        ranked.append((pk, reason))
    return ranked


def _pool(start: dt.date) -> tuple[list[papers.Recent], dict[int, list[str]]]:
    """The window's papers from ``start`` on and their authors' folded names."""
    return _read_pool(start, papers.last_pk(), int(time.time() // RANKING_TTL))


@functools.lru_cache(maxsize=8)
def _read_pool(
    start: dt.date, last_pk: int | None, period: int
) -> tuple[list[papers.Recent], dict[int, list[str]]]:
    """Kept by each process until a paper is added or RANKING_TTL passes (papers hidden
    meanwhile are left out when the picks are shown): reading and folding a 30-day window
    (7k papers, 35k names) takes ~0.4 s, which every member's model rebuild would pay."""
    rows = papers.recent(start, POOL)
    return rows, {r.pk: [Follow.key_of(name) for name in r.authors] for r in rows}


def _liked_by_author(liked_ids: np.ndarray) -> dict[str, list[int]]:
    """The liked papers (with embeddings) of each of their authors, by folded name."""
    found: dict[str, list[int]] = {}
    for p in papers.in_order(liked_ids.tolist()):
        for name in p.authors:
            found.setdefault(Follow.key_of(name), []).append(p.pk)
    return found


def _by_votes(
    candidates: dict[int, papers.Recent], followed: set[str], limit: int
) -> list[tuple[int, Reason]]:
    mine = {pk: sorted(followed & set(r.categories)) for pk, r in candidates.items()}
    newest = [pk for pk in candidates if mine[pk]][:CATEGORY_BY_VOTES]
    votes = feed.vote_totals(newest)
    ordered = sorted(newest, key=lambda pk: -votes.get(pk, 0))  # stable: newest first
    return [(pk, Reason(Reason.CATEGORY, mine[pk][0])) for pk in ordered[:limit]]


def _model(
    user: User,
    stamp: str,
    signals: Signals,
    liked: np.ndarray,
    newest: dt.date,
) -> taste.Model:
    """The member's model, trained when their signals (or the corpus's day) changed."""
    key = f"recommend.model:{user.pk}:{stamp}:{newest.isoformat()}"
    found = caches[CACHE].get(key)
    if found is None:
        found = train(signals, liked, newest, seed=user.pk)
        caches[CACHE].set(key, found, MODEL_TTL)
    return found


def train(signals: Signals, liked: np.ndarray, newest: dt.date, seed: int = 0) -> taste.Model:
    """A model from the signals: the liked vectors against the disliked papers' and a
    sample of the last BACKGROUND_DAYS days' papers (the same sample for the same seed)."""
    recent, _ = _pool(newest - dt.timedelta(days=BACKGROUND_DAYS - 1))
    others = np.array([r.pk for r in recent if r.pk not in signals.liked], dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = rng.choice(others, size=min(taste.BACKGROUND, len(others)), replace=False)
    _, background = search.vectors_of(sample.tolist())
    _, disliked = search.vectors_of(list(signals.disliked))
    return taste.train(liked, disliked, background)
