from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import ranking, selectors


def about_ranking(request: HttpRequest) -> HttpResponse:
    context = {"formula": ranking.TRENDING_FORMULA, "trending_days": selectors.TRENDING_DAYS}
    return render(request, "feed/about_ranking.html", context)
