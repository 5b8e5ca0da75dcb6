"""The listings: the featured papers of a day, an ISO week or a month, and the home page (the
latest day). Each is a :class:`~dailypapers.infra.pagecache.Listing` of paper cards: what it
shows is gathered here, the page cache keeps and serves it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dailypapers.feed import periods
from dailypapers.feed import selectors as feed
from dailypapers.infra import pagecache
from dailypapers.infra.http import error_page
from dailypapers.infra.pagecache import Row
from dailypapers.ingest import upstreams
from dailypapers.papers.models import Paper

from . import cards


def home(request: HttpRequest) -> HttpResponse:
    """The latest day with featured papers (or a welcome page on an empty site)."""
    latest = feed.latest_day()
    if latest is None:
        return render(request, "feed/empty_site.html", _waiting())
    return _listing(request, periods.day(latest))


def _waiting() -> dict[str, Any]:
    """What an empty site waits for: its upstreams' first sync (each never synced, failing
    since when, or synced with nothing to feature yet), or an operator, when it follows none."""
    statuses = feed.upstream_statuses(upstreams.followed())
    names = [s.name for s in statuses]
    if len(names) == 1:
        lists = f"{names[0]}'s daily papers"
    else:
        lists = f"the daily papers of {', '.join(names[:-1])} and {names[-1]}" if names else ""
    today = timezone.localdate()
    shown = []
    for s in statuses:
        when = s.last_error_at if s.state == "failing" else s.last_success_at
        text = ""
        if when is not None:
            local = timezone.localtime(when)
            text = (
                f"{local:%H:%M %Z}" if local.date() == today else f"{local.day} {local:%b %H:%M %Z}"
            )
        read = s.last_success_at is not None
        shown.append({"name": s.name, "state": s.state, "when": text, "read_before": read})
    return {"upstreams": shown, "lists": lists}


def period(request: HttpRequest, kind: str, text: str) -> HttpResponse:
    """The papers featured on a day, in an ISO week or in a month (``kind``)."""
    try:
        p = periods.parse(kind, text)
    except periods.BadPeriod as exc:
        return error_page(request, 404, "No such page", str(exc))
    return _listing(request, p)


def _listing(request: HttpRequest, p: periods.Period) -> HttpResponse:
    sort = request.GET.get("sort", feed.DEFAULT_SORT)
    if sort not in feed.SORTS:
        sort = feed.DEFAULT_SORT
    # What changes with time alone: the day (the top bar's week and month, "not yet"), and a
    # trending order, which decay reorders slowly: an hour's order at most.
    clock = timezone.now().strftime("%Y-%m-%dT%H" if sort == "trending" else "%Y-%m-%d")
    return pagecache.Listing(
        template="feed/listing.html",
        depends=(p.kind, p.slug, sort, clock),
        rows=partial(_rows, p, sort),
        context=partial(_context, p, sort),
        items=partial(_papers, p, sort),
        cards=cards.PAPERS,
    ).respond(request)


def _rows(p: periods.Period, sort: str) -> list[Row]:
    """The period's papers in order, one card row each."""
    return list(feed.listing(p.start, p.end, sort).values_list(*cards.ROW))


def _papers(p: periods.Period, sort: str, pks: list[int]) -> Iterable[Paper]:
    """The period's papers ``pks``, with what their cards show (votes, comments)."""
    return feed.listing(p.start, p.end, sort).filter(pk__in=pks)


def _context(p: periods.Period, sort: str, page: Page) -> dict[str, Any]:
    """Around the cards: the period's tabs, its neighbours with papers, the sorts, the pager,
    or why it is empty."""
    before, after = feed.neighbour_days(p.start, p.end)
    if p.kind == "date":  # the nearest days with papers; a week or month: the next one
        prev = periods.day(before) if before else None
        next_ = periods.day(after) if after else None
    else:
        prev = p.shifted(-1) if before else None
        next_ = p.shifted(1) if after else None
    return {
        "period": p,
        "page": page,
        "sort": sort,
        "sorts": list(feed.SORTS),
        "prev": prev,
        "next": next_,
        "views": [p.containing(k) for k in ("date", "week", "month")],
        "quiet": None if page.paginator.count else _quiet(p),
    }


def _quiet(p: periods.Period) -> feed.Quiet:
    if p.kind == "date":
        return feed.why_empty(p.start)
    return feed.Quiet(
        "Nothing featured", f"No paper was featured in {p.title}. Try a neighbouring {p.kind}."
    )
