from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dailypapers.community import selectors as community
from dailypapers.papers.models import Paper
from dailypapers.views import error_page

from . import periods, ranking, selectors


def home(request: HttpRequest) -> HttpResponse:
    """The latest day with featured papers (or a welcome page on an empty site)."""
    latest = selectors.latest_day()
    if latest is None:
        return render(request, "feed/empty_site.html")
    return _listing(request, periods.day(latest))


def period(request: HttpRequest, kind: str, text: str) -> HttpResponse:
    try:
        p = periods.parse(kind, text)
    except periods.BadPeriod as exc:
        return error_page(request, 404, "No such page", str(exc))
    return _listing(request, p)


def _listing(request: HttpRequest, p: periods.Period) -> HttpResponse:
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    papers = selectors.ranked(p.start, p.end, sort)
    page = _page(request, papers)
    before, after = selectors.neighbour_days(p.start, p.end)
    if p.kind == "date":
        prev = periods.day(before) if before else None
        next_ = periods.day(after) if after else None
    else:
        prev = p.shifted(-1) if before else None
        next_ = p.shifted(1) if after else None
    context = {
        "period": p,
        "page": page,
        "sort": sort,
        "sorts": list(selectors.SORTS),
        "prev": prev,
        "next": next_,
        "views": [p.containing(k) for k in ("date", "week", "month")],
        "quiet": None if page.paginator.count else _quiet(p),
        "rank_offset": page.start_index() - 1 if page.paginator.count else 0,
    }
    return render(request, "feed/listing.html", context)


def trending(request: HttpRequest) -> HttpResponse:
    """The last 7 days, by the trending score."""
    end = timezone.localdate()
    start = end - dt.timedelta(days=6)
    page = _page(request, selectors.ranked(start, end, "trending"))
    return render(request, "feed/trending.html", {"page": page, "start": start, "end": end})


def about_ranking(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/about_ranking.html", {"formula": ranking.TRENDING_FORMULA})


def _page(request: HttpRequest, papers: list[Paper]) -> Page:
    """One page of papers, each with ``voted`` for the current member's vote buttons."""
    page = Paginator(papers, settings.DAILYPAPERS_PAGE_SIZE).get_page(request.GET.get("page"))
    voted = community.voted_by(request.user, [p.pk for p in page])
    for p in page:
        p.voted = p.pk in voted
    return page


def _quiet(p: periods.Period) -> selectors.Quiet:
    if p.kind == "date":
        return selectors.why_empty(p.start)
    return selectors.Quiet(
        "Nothing featured", f"No paper was featured in {p.title}. Try a neighbouring {p.kind}."
    )
