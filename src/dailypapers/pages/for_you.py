"""For you: recent papers ranked for the member, each with its reason; papers to start from
for a member with nothing to rank by yet."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from dailypapers.feed import selectors as feed
from dailypapers.infra.http import MemberRequest, error_page
from dailypapers.papers.models import Paper
from dailypapers.recommend import selectors as recommend

from . import cards, common

FOR_YOU_WINDOWS = (7, 30, 90)  # the windows offered as links; any 1..MAX_DAYS works
STARTERS = 10  # papers offered to a member with no signals to pick from


@login_required
def for_you(request: MemberRequest) -> HttpResponse:
    """Recent papers ranked for the member, each with its reason; a cold start without
    signals."""
    text = request.GET.get("days", str(recommend.DEFAULT_DAYS))
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= recommend.MAX_DAYS:
        message = f"days is a whole number from 1 to {recommend.MAX_DAYS}."
        return error_page(request, 400, "Not a window", message)
    days = int(text)
    ranking = recommend.ranking(request.user, days)
    page = common.page(request, ranking.picks)
    picks = {pick.paper.pk: pick for pick in recommend.with_papers(list(page))}
    # The cards come from the cache the listings fill; only the reasons are rendered here.
    reasons = {
        pk: render_to_string("recommend/_reason.html", {"pick": p}) for pk, p in picks.items()
    }
    shown = cards.shown(request, [p.paper for p in picks.values()], page.start_index(), reasons)
    starters = _starters() if ranking.cold else []
    context = {
        "ranking": ranking,
        "page": page,
        "cards": shown,
        "starters": starters,
        "days": days,
        "query": f"days={days}&",
        "windows": FOR_YOU_WINDOWS,
        "categories": settings.DAILYPAPERS_CATEGORIES,
        **common.marks(request, starters),
    }
    return render(request, "recommend/for_you.html", context)


def _starters() -> list[Paper]:
    """Papers to pick from: the week's most upvoted featured papers."""
    start, end = feed.trending_window(feed.latest_day())
    return list(feed.listing(start, end, "votes")[:STARTERS])
