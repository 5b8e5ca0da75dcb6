"""What the pages share: a viewer's own marks, kept per member under the content stamp; the
``?page=`` page of a list; the marks on cards rendered in a template."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.community import selectors as community
from dailypapers.feed import paging
from dailypapers.feed import selectors as feed
from dailypapers.infra import pagecache
from dailypapers.library import selectors as library
from dailypapers.papers.models import Paper


@dataclass(frozen=True)
class Own:
    """A viewer's own marks and standing, for the cached pages (none for a visitor): kept per
    member under the content stamp, which every table they are read from changes."""

    member: bool = False
    voted: frozenset[int] = frozenset()
    saved: frozenset[int] = frozenset()
    dismissed: frozenset[int] = frozenset()
    holding: dict[int, set[int]] = field(default_factory=dict)  # paper: their collections
    collections: list[Any] = field(default_factory=list)
    can_participate: bool = False

    def variant(self, pk: int) -> tuple[bool, bool, bool]:
        """The version of a paper's card they see: signed in, voted for it, saved it."""
        return self.member, pk in self.voted, pk in self.saved


def own(request: HttpRequest, content: int | None) -> Own:
    """The viewer's :class:`Own` marks, kept under the content stamp ``content``."""
    user = request.user
    if not user.is_authenticated:
        return Own()
    # Staff may take part unverified: a change of that shows at once too.
    return pagecache.cached(content, ("own", user.pk, user.is_staff), partial(_read_own, user))


def _read_own(user: User) -> Own:
    collections = list(library.collections_of(user))
    holding = library.collections_by_paper(user)
    saved = {c.pk for c in collections if c.is_saved}
    return Own(
        member=True,
        voted=frozenset(community.upvoted(user)),
        saved=frozenset(pk for pk, where in holding.items() if where & saved),
        dismissed=frozenset(library.dismissed_ids(user)),
        holding=holding,
        collections=collections,
        can_participate=community.can_participate(user),
    )


def page(request: HttpRequest, rows: QuerySet[Paper] | Sequence[Any]) -> Page:
    """The ``?page=`` page of ``rows`` (of a query: counted and sliced by the database)."""
    return Paginator(rows, paging.listing_size()).get_page(request.GET.get("page"))


def marks(request: HttpRequest, papers: Iterable[Paper]) -> dict[str, set[int]]:
    """The viewer's own marks on the cards a template renders: ``voted`` and ``saved`` ids;
    each paper gets its upstreams' counts for its card (``feed.with_upstream_votes``)."""
    pks = [p.pk for p in feed.with_upstream_votes(papers)]
    return {
        "voted": community.voted_by(request.user, pks),
        "saved": library.saved_ids(request.user, pks),
    }
