"""Hugging Face's papers API, path for path: ``/api/daily_papers``, ``/api/papers/search``,
``/api/papers/{id}`` and ``/api/papers``, with their parameters and JSON (``shapes``), so that
a client written for huggingface.co works against this site by changing its base address."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.errors import HttpError

from dailypapers.feed import paging, periods
from dailypapers.feed import selectors as feed
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search

from . import cursors, shapes
from .core import DAY, MONTH, READ_ERRORS, WEEK
from .schemas import HfDailyPaper, HfPaper

router = Router(tags=["Hugging Face–compatible"])

_SORTS = {"publishedAt": "published", "trending": "trending"}


def hf_window(period: periods.Period) -> tuple[dt.datetime, dt.datetime]:
    """Hugging Face's week and month, on the papers' arXiv dates (``publishedAt``), as its own
    client tests them (huggingface_hub's TestPaperApi): a day's list holds papers that arXiv
    published the day before, so a week runs from the Friday before it to its Sunday, and a
    month from the last day of the month before to its own last day, 00:00 UTC both."""
    if period.kind == "week":
        start = period.start - dt.timedelta(days=3)  # the Friday before its Monday
    else:
        start = period.start - dt.timedelta(days=1)
    end = period.end
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC),
        dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC),
    )


@router.get("/daily_papers", response={200: list[HfDailyPaper], **READ_ERRORS})
def daily_papers(
    request: HttpRequest,
    date: str | None = Query(
        None, pattern=DAY, description="A day, YYYY-MM-DD (default: the latest)."
    ),
    week: str | None = Query(None, pattern=WEEK, description="An ISO week, YYYY-Www."),
    month: str | None = Query(None, pattern=MONTH, description="A month, YYYY-MM."),
    submitter: str | None = Query(
        None, pattern=r"^[\w.@+-]{1,150}$", description="Only papers this member featured."
    ),
    sort: Literal["publishedAt", "trending"] = Query(
        "publishedAt", description="publishedAt: newest on arXiv first; trending: the score."
    ),
    p: int = Query(0, ge=0, le=10_000, description="Page, from 0."),
    limit: int = Query(paging.HF_LIMIT, ge=1, le=paging.HF_MAX_LIMIT),
):
    """The papers featured on a day (the latest by default); with ``week`` or ``month``, the
    featured papers that arXiv published in Hugging Face's window for it (:func:`hf_window`)."""
    if submitter and not (date or week or month):
        # A submitter's papers, every day: Hugging Face does not narrow them to the latest day.
        rows = feed.listing(dt.date.min, dt.date.max, _SORTS[sort], submitter=submitter)
        return _page(rows, p, limit)
    try:
        period = feed.period_of(date, week, month)
    except periods.BadPeriod as exc:
        raise HttpError(400, str(exc)) from None
    if period is None:
        return []
    if period.kind == "date":
        rows = feed.listing(period.start, period.end, _SORTS[sort], submitter=submitter)
        return _page(rows, p, limit, period)
    start, end = hf_window(period)
    return _page(feed.published_in(start, end, _SORTS[sort], submitter=submitter), p, limit)


def _page(
    rows: QuerySet[Paper], p: int, limit: int, day: periods.Period | None = None
) -> list[dict[str, Any]]:
    """Page ``p`` of ``rows`` as daily-papers items; with the featurings of ``day`` only."""
    page = list(rows[p * limit : (p + 1) * limit])
    start, end = (day.start, day.end) if day else (None, None)
    return [shapes.hf_daily(i) for i in shapes.items(page, start, end)]


@router.get("/papers/search", response={200: list[HfDailyPaper], **READ_ERRORS})
def search_papers(
    request: HttpRequest,
    q: str = Query("", max_length=250, description="The search; the site's query language."),
    limit: int = Query(paging.HF_LIMIT, ge=1, le=paging.HF_SEARCH_MAX_LIMIT),
):
    """Papers for a query, best first: the same hybrid search as the site's search page."""
    rows = search.search(q).papers(0, limit)
    return [shapes.hf_daily(i) for i in shapes.items(rows)]


@router.get("/papers", response={200: list[HfPaper], **READ_ERRORS})
def all_papers(
    request: HttpRequest,
    response: HttpResponse,
    cursor: str | None = Query(None, description="From the previous page's Link header."),
    limit: int = Query(paging.HF_LIMIT, ge=1, le=paging.HF_MAX_LIMIT),
):
    """Every paper, newest first by arXiv date; the next page is in the ``Link`` header."""
    rows, _ = cursors.walk(request, response, cursor, limit)
    return [shapes.hf_paper(i) for i in shapes.items(rows)]


@router.get("/papers/{path:paper_id}", response={200: HfPaper, **READ_ERRORS})
def paper(request: HttpRequest, paper_id: str):
    """One paper by arXiv id (old-style ids such as hep-th/9901001 included)."""
    return shapes.hf_paper(shapes.item_for(paper_id))
