"""Trending: the featured papers of the trending window, by the trending score."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.feed import selectors as feed
from dailypapers.library import selectors as library

from . import common


def trending(request: HttpRequest) -> HttpResponse:
    """The trending window (``feed.TRENDING_DAYS``), by the trending score."""
    start, end = feed.trending_window()
    page = common.page(
        request, library.without_dismissed(feed.listing(start, end, "trending"), request.user)
    )
    context = {
        "page": page,
        "start": start,
        "end": end,
        "days": feed.TRENDING_DAYS,
        **common.marks(request, page),
    }
    return render(request, "feed/trending.html", context)
