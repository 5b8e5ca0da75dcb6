"""Reads for the daily feed: which papers were featured in a period, and in what order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from dailypapers.papers.models import Paper

from .models import Featured

SORTS = {
    "votes": ("-upvotes", "-last_featured_at", "arxiv_id"),
    "new": ("-last_featured_at", "-upvotes", "arxiv_id"),
}
DEFAULT_SORT = "votes"


def _visible() -> QuerySet[Featured]:
    return Featured.objects.filter(paper__hidden=False)


def featured_papers(start: dt.date, end: dt.date, sort: str = DEFAULT_SORT) -> QuerySet[Paper]:
    """Papers featured on any day in ``[start, end]``, one row each, in ``sort`` order.

    Each paper carries ``upvotes`` and ``num_comments`` (its best imported counts in the period),
    ``first_featured`` (day) and ``last_featured_at``.
    """
    return (
        Paper.objects.filter(hidden=False, featured__day__range=(start, end))
        .annotate(
            upvotes=Max("featured__imported_upvotes"),
            num_comments=Max("featured__imported_comments"),
            first_featured=Min("featured__day"),
            last_featured_at=Max("featured__featured_at"),
        )
        .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))
    )


def latest_day() -> dt.date | None:
    """The most recent day with a featured paper."""
    return _visible().aggregate(day=Max("day"))["day"]


def neighbour_days(start: dt.date, end: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest days with featured papers before ``start`` and after ``end``."""
    before = _visible().filter(day__lt=start).aggregate(d=Max("day"))["d"]
    after = _visible().filter(day__gt=end).aggregate(d=Min("day"))["d"]
    return before, after


@dataclass(frozen=True)
class Quiet:
    """Why a day has no papers: a short title and a sentence."""

    title: str
    explanation: str


def why_empty(day: dt.date) -> Quiet:
    """Explain an empty day instead of showing a bare empty list."""
    today = timezone.localdate()
    if day > today:
        return Quiet("Not yet", "This day has not come yet. Papers are featured as the day goes.")
    if day.weekday() >= 5:
        return Quiet(
            "Weekend",
            "arXiv does not announce new papers on Saturdays and Sundays, so there is "
            "nothing to feature. Have a look at the previous weekday or the whole week.",
        )
    if is_arxiv_holiday(day):
        return Quiet(
            "arXiv holiday",
            "arXiv made no announcement on this day (holiday schedule), so nothing was featured.",
        )
    return Quiet(
        "Nothing featured",
        "Nobody has featured a paper on this day yet. Members can submit papers from arXiv.",
    )


def is_arxiv_holiday(day: dt.date) -> bool:
    """Christmas and New Year's Day every year, plus the dates the operator configured."""
    return (day.month, day.day) in {(12, 25), (1, 1)} or (
        day.isoformat() in settings.DAILYPAPERS_ARXIV_HOLIDAYS
    )


def featured_history(paper: Paper) -> QuerySet[Featured]:
    """When a paper was featured, newest first, with the counts of each featuring."""
    return Featured.objects.filter(paper=paper).order_by("-day")
