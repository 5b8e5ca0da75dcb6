from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.community import selectors as community
from dailypapers.feed import paging
from dailypapers.feed import selectors as feed
from dailypapers.infra import limits

from . import selectors

FILTERS = ("author", "cat", "after", "before")


def query_text(request: HttpRequest) -> str:
    """The query from ``q`` plus the filter fields of the form, as query-language operators,
    so that a link, the form and the API all mean the same thing."""
    parts = [request.GET.get("q", "").strip()]
    for name in FILTERS:
        value = request.GET.get(name, "").strip().replace('"', "")
        if value:
            parts.append(f'{name}:"{value}"' if " " in value else f"{name}:{value}")
    return " ".join(p for p in parts if p)


@limits.SEARCH.view
def search(request: HttpRequest) -> HttpResponse:
    text = query_text(request)
    sort = request.GET.get("sort", "relevance")
    results = selectors.search(text, sort) if text else None
    ids = results.ids if results else []
    page = Paginator(ids, paging.SEARCH_PAGE).get_page(request.GET.get("page"))
    papers = results.papers(page.start_index() - 1, page.end_index()) if results else []
    papers = feed.with_upstream_votes(papers)  # each upstream's count on the cards
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "text": text,
        "q": request.GET.get("q", ""),
        "filters": {name: request.GET.get(name, "") for name in FILTERS},
        "results": results,
        "page": page,
        "papers": papers,
        "voted": community.voted_by(request.user, [p.pk for p in papers]),
        "sorts": selectors.SORTS,
        "sort": results.sort if results else "relevance",
        "terms": results.query.highlights() if results else [],
        "query": params.urlencode() + "&" if params else "",
        "categories": settings.DAILYPAPERS_CATEGORIES,
    }
    return render(request, "search/results.html", context)
