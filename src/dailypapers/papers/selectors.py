"""Reads of papers for pages and other apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Coalesce, Lower, TruncDate

from .models import Paper


def paper_by_id(ident: str) -> Paper | None:
    """The paper with this versionless id, or None."""
    return Paper.objects.filter(arxiv_id=ident).first()


def pks_by_arxiv_id(idents: Iterable[str]) -> dict[str, int]:
    """``{versionless id: primary key}`` of the papers with these ids (one query)."""
    return dict(Paper.objects.filter(arxiv_id__in=set(idents)).values_list("arxiv_id", "pk"))


def pks_by_doi(dois: Iterable[str]) -> dict[str, int]:
    """``{lower-cased DOI: primary key}`` of the papers with these DOIs, case aside (DOIs are
    case-insensitive), the oldest paper where several share one: one query, on the
    ``Lower("doi")`` index."""
    wanted = {d.strip().lower() for d in dois} - {""}
    if not wanted:
        return {}
    rows = Paper.objects.annotate(doi_lower=Lower("doi")).filter(doi_lower__in=wanted)
    found: dict[str, int] = {}
    for doi, pk in rows.order_by("pk").values_list("doi_lower", "pk"):
        found.setdefault(doi, pk)
    return found


def visible() -> QuerySet[Paper]:
    """Papers shown in feeds and search: not hidden (by a moderator, or deleted on arXiv)."""
    return Paper.objects.filter(visible_through())


def visible_through(relation: str = "") -> Q:
    """The condition of :func:`visible` on the paper that rows reach through ``relation``
    (``"paper"``, ``"entries__paper"``): to filter or count them in the same query."""
    return Q(**{f"{relation}__hidden" if relation else "hidden": False})


def visible_pk(ident: str) -> int | None:
    """The primary key of the visible paper with this versionless id, or None."""
    return visible().filter(arxiv_id=ident).values_list("pk", flat=True).first()


def in_order(pks: Sequence[int], papers: QuerySet[Paper] | None = None) -> list[Paper]:
    """The papers with these primary keys, in the same order (missing ones left out)."""
    rows = (Paper.objects.all() if papers is None else papers).in_bulk(list(pks))
    return [rows[pk] for pk in pks if pk in rows]


def announced_between(start: dt.date, end: dt.date) -> QuerySet[Paper]:
    """Visible papers first announced in ``[start, end]``, newest first."""
    return visible().filter(announced__range=(start, end)).order_by("-announced", "arxiv_id")


# --- "new on arXiv": a day's announcements, as arXiv's /list/<category>/new shows them --------


def latest_announced_day() -> dt.date | None:
    """The newest day on which a visible paper was first announced."""
    return visible().aggregate(day=Max("announced"))["day"]


def announcement_days_around(day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest days with announced visible papers before and after ``day``."""
    before = visible().filter(announced__lt=day).aggregate(d=Max("announced"))["d"]
    after = visible().filter(announced__gt=day).aggregate(d=Min("announced"))["d"]
    return before, after


def announced_on(day: dt.date) -> QuerySet[Paper]:
    """Visible papers first announced on ``day`` (on the ``announced`` index), in arXiv's
    order: by id, which is the order of submission."""
    return visible().filter(announced=day).order_by("arxiv_id")


@dataclass
class NewListing:
    """One day's announcements in some categories, in the order given, split as arXiv's
    ``/list/<category>/new`` does: ``new`` submissions have their primary category among
    them, ``cross`` lists come from another primary category, and ``unknown`` are papers
    whose source did not say which listed category is primary (arXiv's daily-listing dumps).

    arXiv's third section, replacements (new versions of older papers), is not here: a paper
    keeps only the day it was first announced (``Paper.announced``). So an older paper that
    the corpus first met in a replacement announcement is listed on that day."""

    new: list[Paper] = field(default_factory=list)
    cross: list[Paper] = field(default_factory=list)
    unknown: list[Paper] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.new) + len(self.cross) + len(self.unknown)


def new_listing(day_papers: Iterable[Paper], categories: Collection[str]) -> NewListing:
    """Split the papers of a day (``announced_on``) that list any of ``categories``.

    In Python rather than SQL: ``categories`` is a JSON list, which SQLite cannot match on
    (no ``__contains``), and a day holds at most a few thousand papers."""
    wanted = set(categories)
    listing = NewListing()
    for paper in day_papers:
        if wanted.isdisjoint(paper.categories):
            continue
        primary = _primary(paper)
        if not primary:
            listing.unknown.append(paper)
        elif primary in wanted:
            listing.new.append(paper)
        else:
            listing.cross.append(paper)
    return listing


def category_counts(day_papers: Iterable[Paper], categories: Sequence[str]) -> dict[str, int]:
    """How many of the papers list each of ``categories`` (new and cross-listed), in order."""
    counts = dict.fromkeys(categories, 0)
    for paper in day_papers:
        for code in set(paper.categories) & counts.keys():
            counts[code] += 1
    return counts


def _primary(paper: Paper) -> str:
    """The primary category when known: as the source said, or the only one listed."""
    if paper.primary_category:
        return paper.primary_category
    return paper.categories[0] if len(paper.categories) == 1 else ""


def dated_since(since: dt.date) -> QuerySet[Paper]:
    """Visible papers whose arXiv date (``Paper.arxiv_date``: the submission of v1, else the
    first announcement, all that daily listings give) is ``since`` or later."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    return visible().filter(
        Q(published__gte=start) | Q(published__isnull=True, announced__gte=since)
    )


def primary_category_counts() -> list[tuple[str, int]]:
    """``(category, visible papers)`` by primary category, the largest first."""
    counts = (
        visible()
        .exclude(primary_category="")
        .values_list("primary_category")
        .annotate(n=Count("id"))
        .order_by("-n", "primary_category")
    )
    return list(counts)


def newest_first(
    after: tuple[dt.datetime | None, int] | None,
    limit: int,
    among: QuerySet[Paper] | None = None,
) -> list[Paper]:
    """Up to ``limit`` papers of ``among`` (default: the visible ones) by submission date,
    newest first, then those without a date (by id), continuing past the paper ``after`` =
    ``(published, pk)``: every paper once, however the corpus changes between pages (keyset
    paging, on the ``published`` index)."""
    base = visible() if among is None else among
    dated = base.filter(published__isnull=False).order_by("-published", "-pk")
    undated = base.filter(published__isnull=True).order_by("-pk")
    if after is not None and after[0] is not None:
        published, pk = after
        dated = dated.filter(Q(published__lt=published) | Q(published=published, pk__lt=pk))
    elif after is not None:
        dated, undated = dated.none(), undated.filter(pk__lt=after[1])
    found = list(dated[:limit])
    if len(found) < limit:
        found += list(undated[: limit - len(found)])
    return found


def newest_day() -> dt.date | None:
    """The newest arXiv date of a visible paper (``Paper.arxiv_date``: the submission of v1,
    else the first announcement, all that daily listings give): "today" for the corpus, which
    lags the clock when harvests pause or a site runs on a dump. Two lookups on the dates'
    indexes."""
    submitted = visible().filter(published__isnull=False).aggregate(d=Max("published"))["d"]
    announced = visible().filter(published__isnull=True).aggregate(d=Max("announced"))["d"]
    days = [submitted.date() if submitted else None, announced]
    return max((d for d in days if d is not None), default=None)


def last_pk() -> int | None:
    """The newest row's id: it changes whenever a paper is added."""
    return Paper.objects.aggregate(last=Max("pk"))["last"]


class Recent(NamedTuple):
    pk: int
    categories: list[str]
    authors: list[str]


def recent(start: dt.date, limit: int) -> list[Recent]:
    """Up to ``limit`` visible papers dated ``start`` or later (``dated_since``), newest
    first."""
    day = Coalesce(TruncDate("published"), "announced")  # as Paper.arxiv_date
    rows = dated_since(start).order_by(day.desc(), "-pk")
    fields = rows.values_list("pk", "categories", "authors")
    return [Recent(pk, categories, authors) for pk, categories, authors in fields[:limit]]
