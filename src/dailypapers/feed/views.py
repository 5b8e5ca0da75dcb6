from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import ranking, selectors


def about_ranking(request: HttpRequest) -> HttpResponse:
    context = {
        "formula": ranking.TRENDING_FORMULA,
        "trending_days": selectors.TRENDING_DAYS,
        "upstreams": selectors.upstream_statuses(settings.DAILYPAPERS_UPSTREAMS),
    }
    return render(request, "feed/about_ranking.html", context)
