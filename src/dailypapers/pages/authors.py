"""An author's papers here, newest first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.infra.http import error_page
from dailypapers.library import selectors as library
from dailypapers.search import selectors as search

from . import common


def author(request: HttpRequest, name: str) -> HttpResponse:
    """An author's papers here, newest first (the name as arXiv writes it, accents aside)."""
    found = search.by_author(name)
    if not found:
        return error_page(request, 404, "No papers", f"No paper here lists {name!r} as an author.")
    page = common.page(request, found)
    context = {
        "name": name,
        "page": page,
        **common.marks(request, page),
        "following": library.follows(request.user, "author", name),
    }
    return render(request, "papers/author.html", context)
