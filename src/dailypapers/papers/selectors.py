"""Reads of papers for pages and other apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q, QuerySet

from .models import Paper


def paper_by_id(ident: str) -> Paper | None:
    """The paper with this versionless id, or None."""
    return Paper.objects.filter(arxiv_id=ident).first()


def paper_by_doi(doi: str) -> Paper | None:
    """The paper with this DOI (case aside: DOIs are case-insensitive), or None."""
    return Paper.objects.filter(doi__iexact=doi.strip()).first() if doi.strip() else None


def visible() -> QuerySet[Paper]:
    """Papers shown in feeds and search: not hidden (by a moderator, or deleted on arXiv)."""
    return Paper.objects.filter(hidden=False)


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
