from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.views import error_page

from . import periods, selectors


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
    papers = selectors.featured_papers(p.start, p.end, sort)
    page = Paginator(papers, settings.DAILYPAPERS_PAGE_SIZE).get_page(request.GET.get("page"))
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


def _quiet(p: periods.Period) -> selectors.Quiet:
    if p.kind == "date":
        return selectors.why_empty(p.start)
    return selectors.Quiet(
        "Nothing featured", f"No paper was featured in {p.title}. Try a neighbouring {p.kind}."
    )
