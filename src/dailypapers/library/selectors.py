"""Reads of collections, for pages, the API and feeds."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Max, QuerySet

from dailypapers.community import selectors as community
from dailypapers.feed import paging
from dailypapers.feed import selectors as feed
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search

from .models import Collection, Dismissal, Entry, Follow

Viewer = User | AnonymousUser


def collections_of(user: User) -> QuerySet[Collection]:
    """The member's collections, "Saved" first, with ``size`` (visible papers)."""
    shown = papers.visible_through("entries__paper")
    return Collection.objects.filter(owner=user).annotate(size=Count("entries", filter=shown))


def owned(user: Viewer, pk: int) -> Collection | None:
    """The collection ``pk`` if ``user`` owns it."""
    if not user.is_authenticated:
        return None
    return Collection.objects.filter(owner=user, pk=pk).first()


def public(username: str, slug: str) -> Collection | None:
    """A public collection by its owner's name and its slug; none of banned members."""
    return (
        Collection.objects.filter(owner__username=username, slug=slug, public=True)
        .filter(community.active_through("owner"))
        .select_related("owner")
        .first()
    )


def papers_in(collection: Collection) -> QuerySet[Paper]:
    """Its visible papers, most recently added first, with their votes and ``added_at``."""
    rows = papers.visible().filter(library_entries__collection=collection)
    # The annotation uses the filter's join: the entry of this collection.
    ordered = rows.annotate(added_at=F("library_entries__added_at")).order_by("-added_at", "-pk")
    return feed.with_votes(ordered)


def follows_of(user: Viewer) -> QuerySet[Follow]:
    if not user.is_authenticated:
        return Follow.objects.none()
    return Follow.objects.filter(user=user)


def follows(user: Viewer, kind: str, value: str) -> bool:
    return follows_of(user).filter(kind=kind, key=Follow.key_of(value)).exists()


def following_feed(user: User, limit: int = paging.FOLLOWING_ITEMS) -> list[Paper]:
    """The newest papers of the authors and categories the member follows, newest first: one
    search for all of them."""
    follows = list(follows_of(user).values_list("kind", "value"))
    authors = [value for kind, value in follows if kind == Follow.Kind.AUTHOR]
    codes = [value for kind, value in follows if kind == Follow.Kind.CATEGORY]
    return search.newest_by_any(authors, codes, limit)


def without_dismissed(rows: QuerySet[Paper], user: Viewer) -> QuerySet[Paper]:
    """``rows`` less the papers the viewer marked "not interested" (one subquery)."""
    if not user.is_authenticated:
        return rows
    return rows.exclude(pk__in=Dismissal.objects.filter(user=user).values("paper_id"))


def dismissed(user: User) -> list[str]:
    """The arXiv ids the member marked "not interested", newest first."""
    rows = Dismissal.objects.filter(user=user).select_related("paper").order_by("-created_at")
    return [d.paper.arxiv_id for d in rows]


def saved_ids(user: Viewer, paper_ids: Iterable[int]) -> set[int]:
    """Which of the papers are in the viewer's "Saved" collection."""
    if not user.is_authenticated:
        return set()
    found = Entry.objects.filter(
        collection__owner=user, collection__is_saved=True, paper_id__in=list(paper_ids)
    )
    return set(found.values_list("paper_id", flat=True))


def collections_by_paper(user: User) -> dict[int, set[int]]:
    """Where the member keeps each of their papers: ``{paper id: ids of the collections}``."""
    found: dict[int, set[int]] = {}
    for paper_id, collection_id in Entry.objects.filter(collection__owner=user).values_list(
        "paper_id", "collection_id"
    ):
        found.setdefault(paper_id, set()).add(collection_id)
    return found


# --- signals for the recommendations --------------------------------------------------------


def collected(user: User) -> set[int]:
    """The ids of the papers in any of the member's collections (positives)."""
    return set(Entry.objects.filter(collection__owner=user).values_list("paper_id", flat=True))


def dismissed_ids(user: User) -> set[int]:
    """The ids of the papers the member marked "not interested" (negatives)."""
    return set(Dismissal.objects.filter(user=user).values_list("paper_id", flat=True))


def stamp(user: User) -> tuple[tuple[int, int | None], ...]:
    """``(how many, newest id)`` of the member's collected papers, "not interested" marks and
    follows: it changes whenever one of them does (a removal lowers a count, an addition
    raises the newest id), so what is computed from them can be cached until then."""
    tables = (
        Entry.objects.filter(collection__owner=user),
        Dismissal.objects.filter(user=user),
        Follow.objects.filter(user=user),
    )
    rows = (t.aggregate(n=Count("id"), last=Max("id")) for t in tables)
    return tuple((row["n"], row["last"]) for row in rows)
