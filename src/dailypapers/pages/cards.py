"""The paper cards of the listings and "for you", kept in the page cache under what each
shows (a version of its paper) and the viewer's variant (signed in? voted? saved?), never who
they are: a card is rendered once for every listing it is on, and a vote re-renders one card,
not every page."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dailypapers.feed import selectors as feed
from dailypapers.infra import pagecache
from dailypapers.infra.pagecache import Row, Viewer
from dailypapers.papers.models import Paper

from . import common
from .common import Own

# What a card shows that a write can change: a card is cached under these values. Every write
# of a paper's fields moves its modified_at on (auto_now, and the importer sets it). The
# upstreams' counts it shows (feed.upstream_votes) move with imported_votes, which sums the
# part of each that counts here: all of Hugging Face's.
ROW = ("pk", "modified_at", "member_votes", "imported_votes", "num_comments")


def row_of(paper: Paper) -> Row:
    """A paper's ``ROW``; outside a listing it has no period's ``num_comments``."""
    return tuple(getattr(paper, f, None) for f in ROW)


def html(
    viewer: Viewer[Own],
    rows: Sequence[Row],
    first: int,
    papers: Callable[[list[int]], Iterable[Paper]],
    reasons: Mapping[int, str] | None = None,
) -> list[str]:
    """The cards of ``rows`` (``ROW`` rows, in order, ranked from ``first``): each from the
    cache in the viewer's variant, rendered where missing from the ``papers`` of their ids
    (annotated with votes); with its rank, this address and, for "for you", its reason."""
    slot = reasons is not None  # a card with a place for its reason is a variant of its own
    own = viewer.own

    def key(row: Row) -> tuple[Hashable, ...]:
        return ("card", *row, own.variant(row[0]), slot)

    found = pagecache.fragments({row[0]: key(row) for row in rows})
    if missing := [row[0] for row in rows if row[0] not in found]:
        built = {}
        for paper in feed.with_upstream_votes(papers(missing)):
            # Under what the card was rendered from, which may be newer than the listing's row.
            built[key(row_of(paper))] = found[paper.pk] = _render(paper, own, slot)
        pagecache.keep_fragments(built)
    here = escape(viewer.request.get_full_path())
    cards = []
    for rank, (pk, *_) in enumerate(rows, first):
        if pk not in found:  # a paper hidden since the listing was read
            continue
        card = found[pk].replace(pagecache.RANK, str(rank)).replace(pagecache.NEXT, here)
        cards.append(card.replace(pagecache.REASON, reasons[pk]) if reasons else card)
    return cards


def shown(
    request: HttpRequest, papers: Sequence[Paper], first: int, reasons: Mapping[int, str]
) -> list[SafeString]:
    """The cards of ``papers`` (in order, ranked from ``first``) with their ``reasons``, for a
    page rendered in a template rather than kept ("for you")."""
    by_pk = {paper.pk: paper for paper in papers}
    viewer = Viewer(request, pagecache.stamp(), common.own)
    rows = [row_of(paper) for paper in papers]
    cards = html(viewer, rows, first, lambda pks: [by_pk[pk] for pk in pks], reasons)
    token = get_token(request)
    return [mark_safe(card.replace(pagecache.CSRF, token)) for card in cards]


@dataclass(frozen=True)
class _Someone:
    """Whom a shared card is rendered for: only whether they are signed in, so that no card
    can hold anything of one member."""

    is_authenticated: bool


def _render(paper: Paper, own: Own, slot: bool) -> str:
    context = {
        "paper": paper,
        "rank": pagecache.RANK,
        "reason": pagecache.REASON if slot else "",
        "voted": own.voted & {paper.pk},
        "saved": own.saved & {paper.pk},
        "user": _Someone(own.member),
        "next": pagecache.NEXT,
        "csrf_token": pagecache.CSRF,
    }
    return render_to_string("feed/_paper_card.html", context)


# The cards of every listing: for whom, how many a page, each card.
PAPERS = pagecache.Cards(own=common.own, page=common.page, html=html)
