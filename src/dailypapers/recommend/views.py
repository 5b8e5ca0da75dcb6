from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from dailypapers.community import selectors as community
from dailypapers.feed import selectors as feed
from dailypapers.library import selectors as library
from dailypapers.papers.models import Paper
from dailypapers.views import MemberRequest, error_page

from . import selectors

WINDOWS = (7, 30, 90)  # the windows offered as links; any 1..MAX_DAYS works
STARTERS = 10  # papers offered to a member with no signals to pick from


@login_required
def for_you(request: MemberRequest) -> HttpResponse:
    """Recent papers ranked for the member, each with its reason; a cold start without
    signals."""
    text = request.GET.get("days", str(selectors.DEFAULT_DAYS))
    if not text.isdigit() or not 1 <= int(text) <= selectors.MAX_DAYS:
        return error_page(
            request, 400, "Not a window", f"days is a whole number from 1 to {selectors.MAX_DAYS}."
        )
    days = int(text)
    ranking = selectors.ranking(request.user, days)
    page = Paginator(ranking.picks, settings.DAILYPAPERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    picks = selectors.resolve(list(page))
    starters = _starters() if ranking.cold else []
    shown = [p.paper.pk for p in picks] + [p.pk for p in starters]
    context = {
        "ranking": ranking,
        "page": page,
        "picks": picks,
        "starters": starters,
        "days": days,
        "query": f"days={days}&",
        "windows": WINDOWS,
        "categories": settings.DAILYPAPERS_CATEGORIES,
        "voted": community.voted_by(request.user, shown),
        "saved": library.saved_ids(request.user, shown),
    }
    return render(request, "recommend/for_you.html", context)


def _starters() -> list[Paper]:
    """Papers to pick from: the week's most upvoted featured papers."""
    end = feed.latest_day() or dt.date.today()
    return list(feed.listing(end - dt.timedelta(days=6), end, "votes")[:STARTERS])
