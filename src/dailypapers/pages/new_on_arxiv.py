"""New on arXiv: a day's announcements in the site's categories, or in one, split as arXiv
splits them (new submissions, then cross-lists), each with whether it was featured and
whether the viewer may feature it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dailypapers.community import selectors as community
from dailypapers.feed import paging, periods
from dailypapers.feed import selectors as feed
from dailypapers.infra.http import error_page
from dailypapers.library import selectors as library
from dailypapers.papers import categories
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper
from dailypapers.recommend import selectors as recommend

from . import common


@dataclass(frozen=True)
class _Section:
    key: str  # the anchor: new, cross, unknown
    title: str
    papers: list[Paper]
    first_page: int  # where the section starts in the paged list


@dataclass(frozen=True)
class _Card:
    section: _Section
    paper: Paper
    featured_on: dt.date | None  # the first day it was featured
    can_feature: bool  # the viewer may submit it today


def new_on_arxiv(request: HttpRequest, category: str | None = None) -> HttpResponse:
    """A day's announcements (default: the latest) in the site's categories, or in one, split
    as arXiv's ``/list/<category>/new``: new submissions, then cross-lists, in arXiv's order."""
    if category is not None:
        if not categories.is_code(category):
            message = f"{category!r} is not an arXiv category (e.g. cs.CL, hep-th)."
            return error_page(request, 404, "No such category", message)
        if categories.canonical(category) != category:
            url = reverse("new_category", args=[categories.canonical(category)])
            query = request.GET.urlencode()
            return redirect(f"{url}?{query}" if query else url, permanent=True)
    site = [categories.canonical(c) for c in settings.DAILYPAPERS_CATEGORIES]
    text = request.GET.get("day")
    try:
        day = periods.parse("date", text).start if text else papers.latest_announced_day()
    except periods.BadPeriod as exc:
        return error_page(request, 400, "Not a day", str(exc))
    context: dict[str, object] = {"category": category, "site": site, "day": day}
    if day is None:
        return render(request, "feed/new.html", context)
    rows = library.without_dismissed(feed.with_votes(papers.announced_on(day)), request.user)
    # arXiv's order (by id) for readers, "for you" order for members with a model unless
    # they ask for arXiv's (?order=arxiv); the split into sections keeps the order.
    day_papers = list(rows)
    mine = None
    arxiv_order = request.user.is_authenticated and request.GET.get("order") == "arxiv"
    if request.user.is_authenticated and not arxiv_order:
        mine = recommend.reorder(request.user, [p.pk for p in day_papers])
    if mine is not None:
        by_pk = {p.pk: p for p in day_papers}
        day_papers = [by_pk[pk] for pk in mine]
    listing = papers.new_listing(day_papers, [category] if category else site)
    sections = _sections(listing)
    entries = [(s, p) for s in sections for p in s.papers]
    page = common.page(request, entries)
    before, after = papers.announcement_days_around(day)
    tabs = [*site, category] if category and category not in site else site
    context |= {
        "period": periods.day(day),
        "counts": papers.category_counts(day_papers, tabs),
        "total": len(listing),
        "query": f"day={day.isoformat()}&" + ("order=arxiv&" if arxiv_order else ""),
        "for_you": mine is not None,
        "arxiv_order": arxiv_order,
        "sections": [s for s in sections if s.papers],
        "page": page,
        "cards": _cards(request, page),
        "rank_offset": page.start_index() - 1 if listing else 0,
        "prev": before,
        "next": after,
        "quiet": None if listing else _quiet_announcements(day, category or ", ".join(site)),
        **common.marks(request, [p for _, p in page]),
    }
    return render(request, "feed/new.html", context)


def _sections(listing: papers.NewListing) -> list[_Section]:
    size = paging.listing_size()
    parts = [
        ("new", "New submissions", listing.new),
        ("cross", "Cross-lists from other categories", listing.cross),
        ("unknown", "Listed here, primary category not recorded", listing.unknown),
    ]
    sections, start = [], 0
    for key, title, rows in parts:
        sections.append(_Section(key, title, rows, start // size + 1))
        start += len(rows)
    return sections


def _cards(request: HttpRequest, page: Page) -> list[_Card]:
    """The page's papers with whether each was featured, and whether the viewer may feature
    it now (through the submit form)."""
    first = feed.first_featured_days([p.pk for _, p in page])
    may = community.can_participate(request.user)
    return [
        _Card(s, p, first.get(p.pk), may and p.pk not in first and community.recent_enough(p))
        for s, p in page
    ]


def _quiet_announcements(day: dt.date, where: str) -> feed.Quiet:
    if not feed.is_announcement_day(day):
        return feed.Quiet(
            "No announcement",
            "arXiv announces new papers Monday to Friday, except on holidays, so there was no "
            f"announcement on {day:%A, %-d %B %Y}. Try a neighbouring announcement day.",
        )
    return feed.Quiet(
        "Nothing announced here",
        f"This site has no paper in {where} first announced on {day:%A, %-d %B %Y}. "
        "Try a neighbouring announcement day.",
    )
