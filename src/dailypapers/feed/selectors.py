"""Reads for the daily feed: which papers were featured in a period, in what order, and their
votes (see ``ranking``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils import timezone

from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import periods, ranking
from .models import Featured, FeatureRule, Upstream, UpstreamFeature

HUGGING_FACE = "https://huggingface.co"
SORTS = ("trending", "votes", "new")  # the pages'; the API also sorts by "published"
DEFAULT_SORT = "votes"
# Tie-breaks after the sort key: more votes, more recently featured, then the id.
_ORDER: dict[str, list[str | OrderBy]] = {
    "trending": ["-trending", "-votes", "arxiv_id"],
    "votes": ["-votes", "-last_featured_at", "arxiv_id"],
    "new": ["-last_featured_at", "-votes", "arxiv_id"],
    "published": [F("published").desc(nulls_last=True), "-votes", "arxiv_id"],  # arXiv's v1
}
TRENDING_DAYS = 7  # trending is of the papers featured in the last week


def trending_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days trending covers, ``(start, end)``: the ``TRENDING_DAYS`` up to ``today`` (the
    site's today by default), both included."""
    end = today or timezone.localdate()
    return end - dt.timedelta(days=TRENDING_DAYS - 1), end


def with_votes(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    """Papers with ``member_votes``, ``imported_votes`` (the best count any import of the paper
    brought) and ``votes``, the sum that rankings use."""
    best_import = (
        Featured.objects.filter(paper=OuterRef("pk"))
        .values("paper")
        .annotate(n=Max("imported_upvotes"))
        .values("n")
    )
    return queryset.annotate(
        member_votes=Coalesce(F("vote_tally__members"), 0),
        imported_votes=Coalesce(Subquery(best_import), 0),
    ).annotate(votes=ranking.votes(F("member_votes"), F("imported_votes")))


def vote_totals(pks: Sequence[int]) -> dict[int, int]:
    """``votes`` (as in :func:`with_votes`) of each of these papers."""
    papers = with_votes(Paper.objects.filter(pk__in=list(pks)))
    return dict(papers.values_list("pk", "votes"))  # type: ignore[misc]  # an annotation


@dataclass(frozen=True)
class UpstreamVotes:
    """An upstream's count of a paper as the upstream shows it: the best over its visible
    featurings of the paper, with the address of the paper's page there."""

    name: str
    url: str
    upvotes: int
    page: str


def upstream_page(url: str, arxiv_id: str) -> str:
    """A paper's page on an upstream (Hugging Face's or another dailypapers site's)."""
    return f"{public_url(url)}/papers/{arxiv_id}"


def public_url(url: str) -> str:
    """An upstream's address as pages show it: without a ``user:password@``."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host)) if host else url.rstrip("/")


def upstream_votes(paper_ids: Sequence[int]) -> dict[int, list[UpstreamVotes]]:
    """Each upstream's upvotes of these papers, as it shows them (the best over its featurings
    of the paper; those a moderator hid left out), most upvoted first. One query."""
    rows = (
        UpstreamFeature.objects.filter(paper_id__in=list(paper_ids), hidden=False)
        .values("paper_id", "paper__arxiv_id", "upstream__name", "upstream__url")
        .annotate(best=Max("upvotes"))
        .order_by()
    )
    found: dict[int, list[UpstreamVotes]] = {}
    for row in rows:
        url = row["upstream__url"]
        page = upstream_page(url, row["paper__arxiv_id"])
        votes = UpstreamVotes(row["upstream__name"], url, row["best"], page)
        found.setdefault(row["paper_id"], []).append(votes)
    for counts in found.values():
        counts.sort(key=lambda v: (-v.upvotes, v.name))
    return found


def with_upstream_votes(rows: Iterable[Paper]) -> list[Paper]:
    """The papers, each with ``upstream_votes`` (:func:`upstream_votes`) for its card."""
    found = list(rows)
    counts = upstream_votes([p.pk for p in found])
    for p in found:
        p.upstream_votes = counts.get(p.pk, [])  # type: ignore[attr-defined]
    return found


def listing(
    start: dt.date,
    end: dt.date,
    sort: str = DEFAULT_SORT,
    now: dt.datetime | None = None,
    submitter: str | None = None,
) -> QuerySet[Paper]:
    """The visible papers featured in ``[start, end]`` (by ``submitter``, a member here or an
    upstream's, when given) in ``sort`` order, one row each, with the votes of
    :func:`with_votes`, ``last_featured_at``, ``num_comments`` (imported, the best in the
    period) and ``trending``. Ordered, counted and sliced by the database."""
    rows = papers.visible().filter(featured__day__range=(start, end))
    if submitter is not None:
        rows = rows.filter(_submitted_by(submitter, start, end))
    return _ranked(rows, sort, now)


def published_in(
    start: dt.datetime,
    end: dt.datetime,
    sort: str = DEFAULT_SORT,
    now: dt.datetime | None = None,
    submitter: str | None = None,
) -> QuerySet[Paper]:
    """The visible papers ever featured whose arXiv date lies in ``[start, end]``, as
    :func:`listing` gives them: Hugging Face's week and month (see ``api.hf``)."""
    rows = papers.visible().filter(published__range=(start, end), featured__isnull=False)
    if submitter is not None:
        rows = rows.filter(_submitted_by(submitter))
    return _ranked(rows, sort, now)


def _submitted_by(name: str, start: dt.date | None = None, end: dt.date | None = None) -> Q:
    """Featured (on a day of ``[start, end]``, when given) by the member ``name`` here, or by
    an upstream's member of that name (a featuring a moderator hid left out)."""
    days = {"day__range": (start, end)} if start and end else {}
    here = Featured.objects.filter(paper=OuterRef("pk"), submitted_by__username=name, **days)
    there = UpstreamFeature.objects.filter(
        paper=OuterRef("pk"), submitted_by=name, hidden=False, **days
    )
    return Q(Exists(here)) | Q(Exists(there))


def _ranked(rows: QuerySet[Paper], sort: str, now: dt.datetime | None) -> QuerySet[Paper]:
    ranked = with_votes(
        rows.annotate(
            last_featured_at=Max("featured__featured_at"),
            num_comments=Max("featured__imported_comments"),
        )
    ).annotate(trending=ranking.trending(F("votes"), F("last_featured_at"), now or timezone.now()))
    return ranked.order_by(*_ORDER.get(sort, _ORDER[DEFAULT_SORT]))


def _visible() -> QuerySet[Featured]:
    return Featured.objects.filter(papers.visible_through("paper"))


def latest_day() -> dt.date | None:
    """The most recent day with a featured paper."""
    return _visible().aggregate(day=Max("day"))["day"]


def featured_days() -> list[dt.date]:
    """Every day with a visible featured paper, newest first."""
    return list(_visible().values_list("day", flat=True).distinct().order_by("-day"))


def period_of(
    date: str | None = None, week: str | None = None, month: str | None = None
) -> periods.Period | None:
    """The day, ISO week or month asked for (at most one of them), else the latest day with
    featured papers; None on a site without any. BadPeriod says what is wrong."""
    given = [(k, text) for k, text in (("date", date), ("week", week), ("month", month)) if text]
    if len(given) > 1:
        raise periods.BadPeriod("Give one of date, week and month, not several.")
    if given:
        return periods.parse(*given[0])
    latest = latest_day()
    return periods.day(latest) if latest else None


def neighbour_days(start: dt.date, end: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest days with featured papers before ``start`` and after ``end``."""
    before = _visible().filter(day__lt=start).aggregate(d=Max("day"))["d"]
    after = _visible().filter(day__gt=end).aggregate(d=Min("day"))["d"]
    return before, after


def featured_history(paper: Paper) -> QuerySet[Featured]:
    """When a paper was featured, newest first, with the counts of each featuring."""
    return Featured.objects.filter(paper=paper).select_related("submitted_by").order_by("-day")


def featurings(paper_ids: Sequence[int]) -> dict[int, list[Featured]]:
    """Every featuring of these papers, newest first, with the member who submitted it."""
    rows = Featured.objects.filter(paper_id__in=list(paper_ids)).select_related("submitted_by")
    found: dict[int, list[Featured]] = {}
    for f in rows.order_by("-featured_at"):
        found.setdefault(f.paper_id, []).append(f)
    return found


def first_featured(paper: Paper) -> dt.date | None:
    """The first day the paper was featured, if it ever was."""
    return Featured.objects.filter(paper=paper).aggregate(d=Min("day"))["d"]


def first_featured_days(paper_ids: Sequence[int]) -> dict[int, dt.date]:
    """The first day each of these papers was featured, for those that ever were."""
    rows = Featured.objects.filter(paper_id__in=list(paper_ids)).values_list("paper_id")
    return dict(rows.annotate(first=Min("day")).order_by())


def submissions(user: User, day: dt.date | None = None) -> QuerySet[Featured]:
    """The featurings ``user`` submitted (on ``day``), newest first."""
    rows = Featured.objects.filter(submitted_by=user)
    if day is not None:
        rows = rows.filter(day=day)
    return rows.order_by("-day")


def enabled_rules() -> list[FeatureRule]:
    """The operator's rules that feature newly announced papers."""
    return list(FeatureRule.objects.filter(enabled=True))


@dataclass(frozen=True)
class UpstreamStatus:
    """How the syncs of an upstream went (:class:`~dailypapers.feed.models.Upstream`); one
    never synced has no row yet, and a name made from its address."""

    url: str
    name: str
    last_success_at: dt.datetime | None = None
    last_error_at: dt.datetime | None = None
    last_error: str = ""
    last_counts: dict[str, int] | None = None

    @property
    def public_url(self) -> str:
        """Its address without a ``user:password@``."""
        return public_url(self.url)

    @property
    def state(self) -> str:
        """``never synced``, ``failing`` (its last sync failed), ``partly failed`` (its last
        sync read some days and failed others) or ``ok``."""
        success, error = self.last_success_at, self.last_error_at
        if success is None:
            return "failing" if error else "never synced"
        if error is None or error < success:
            return "ok"
        return "failing" if error > success else "partly failed"


def upstream_statuses(urls: Sequence[str]) -> list[UpstreamStatus]:
    """The state of the upstreams at these base addresses, in their order."""
    urls = [url.rstrip("/") for url in urls]
    rows = {u.url: u for u in Upstream.objects.filter(url__in=urls)}
    found = []
    for url in urls:
        row = rows.get(url)
        if row is None:
            found.append(UpstreamStatus(url, upstream_name(url)))
            continue
        found.append(
            UpstreamStatus(
                url,
                row.name,
                row.last_success_at,
                row.last_error_at,
                row.last_error,
                dict(row.last_counts or {}),
            )
        )
    return found


def upstream_name(url: str) -> str:
    """An upstream's name, as cards say it ("on Hugging Face"): its host, without any
    ``user:password@``."""
    url = public_url(url)
    return "Hugging Face" if url == HUGGING_FACE else urlsplit(url).netloc or url


@dataclass(frozen=True)
class Quiet:
    """Why a day has no papers: a short title and a sentence."""

    title: str
    explanation: str


def why_empty(day: dt.date, today: dt.date | None = None) -> Quiet:
    """Explain an empty day instead of showing a bare empty list."""
    if day > (today or timezone.localdate()):
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


def upstream_featurings(
    paper_ids: Sequence[int],
) -> dict[tuple[int, dt.date], list[UpstreamFeature]]:
    """The visible featurings by upstreams of these papers, by ``(paper, day)``, with their
    upstream: who featured a paper on a day, with which counts and submitter."""
    rows = UpstreamFeature.objects.filter(paper_id__in=list(paper_ids), hidden=False)
    found: dict[tuple[int, dt.date], list[UpstreamFeature]] = {}
    for row in rows.select_related("upstream").order_by("upstream__name"):
        found.setdefault((row.paper_id, row.day), []).append(row)
    return found
