"""Reads for the daily feed: which papers were featured in a period, and in what order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from dailypapers.community import selectors as community
from dailypapers.papers.models import Paper

from . import ranking
from .models import Featured

SORTS = ("trending", "votes", "new")
DEFAULT_SORT = "votes"


def _visible() -> QuerySet[Featured]:
    return Featured.objects.filter(paper__hidden=False)


def featured_papers(start: dt.date, end: dt.date) -> QuerySet[Paper]:
    """Papers featured on any day in ``[start, end]``, one row each, with ``imported_votes``
    and ``num_comments`` (their best imported counts in the period), ``first_featured`` (day)
    and ``last_featured_at``."""
    return Paper.objects.filter(hidden=False, featured__day__range=(start, end)).annotate(
        imported_votes=Max("featured__imported_upvotes"),
        num_comments=Max("featured__imported_comments"),
        first_featured=Min("featured__day"),
        last_featured_at=Max("featured__featured_at"),
    )


def ranked(
    start: dt.date, end: dt.date, sort: str = DEFAULT_SORT, now: dt.datetime | None = None
) -> list[Paper]:
    """The papers featured in ``[start, end]`` in ``sort`` order (see ``ranking``), each with
    ``member_votes``, ``votes`` (members' plus imported) and ``trending``."""
    papers = list(featured_papers(start, end))
    member_votes = community.vote_counts(p.pk for p in papers)
    now = now or timezone.now()
    for p in papers:
        p.member_votes = member_votes.get(p.pk, 0)
        p.votes = p.member_votes + p.imported_votes
        p.trending = ranking.trending_score(p.votes, p.last_featured_at, now)
    keys = {
        "trending": lambda p: (-p.trending, -p.votes, p.arxiv_id),
        "votes": lambda p: (-p.votes, -p.last_featured_at.timestamp(), p.arxiv_id),
        "new": lambda p: (-p.last_featured_at.timestamp(), -p.votes, p.arxiv_id),
    }
    return sorted(papers, key=keys.get(sort, keys[DEFAULT_SORT]))


def imported_votes(paper_ids: list[int]) -> dict[int, int]:
    """Each paper's best upvote count imported with its features (Hugging Face)."""
    rows = (
        Featured.objects.filter(paper_id__in=paper_ids)
        .values("paper_id")
        .annotate(n=Max("imported_upvotes"))
    )
    return {row["paper_id"]: row["n"] or 0 for row in rows}


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


def is_announcement_day(day: dt.date) -> bool:
    """Whether arXiv announces new papers on ``day``: weekdays that are not holidays."""
    return day.weekday() < 5 and not is_arxiv_holiday(day)


def is_arxiv_holiday(day: dt.date) -> bool:
    """Christmas and New Year's Day every year, plus the dates the operator configured."""
    return (day.month, day.day) in {(12, 25), (1, 1)} or (
        day.isoformat() in settings.DAILYPAPERS_ARXIV_HOLIDAYS
    )


def featured_history(paper: Paper) -> QuerySet[Featured]:
    """When a paper was featured, newest first, with the counts of each featuring."""
    return Featured.objects.filter(paper=paper).order_by("-day")
