from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import ranking


def about_ranking(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/about_ranking.html", {"formula": ranking.TRENDING_FORMULA})
