"""arXiv metadata as JSON lines: the Kaggle ``arxiv-metadata-oai-snapshot.json`` layout and
the two related layouts in shared/data (bulk OAI metadata with ``created``/``updated``,
and daily listings with ``listing_dates``). One object per line."""

from __future__ import annotations

from typing import Any

from dailypapers.papers import arxiv_id

from .records import (
    PaperRecord,
    RecordError,
    clean_categories,
    clean_id,
    clean_text,
    latex_to_unicode,
    parse_date,
    parse_datetime,
    split_authors,
)


def parse_record(obj: Any) -> PaperRecord:
    """One JSON object of any of the three layouts as a PaperRecord; RecordError if unusable."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    ident, version = clean_id(obj.get("id"))
    title = latex_to_unicode(clean_text(obj.get("title")))
    if not title:
        raise RecordError("missing title")

    categories = clean_categories(obj.get("categories"))
    primary = clean_text(obj.get("primary_category"))
    if not primary and isinstance(obj.get("categories"), str) and categories:
        primary = categories[0]  # Kaggle lists the primary category first

    published, updated = _dates(obj)
    if version is None:
        version = _latest_version(obj.get("versions"))
    listing_dates = obj.get("listing_dates") or []
    if not isinstance(listing_dates, list):
        raise RecordError("listing_dates: expected a list of dates")
    announced = min(
        (d for d in (parse_date(v, "listing_dates") for v in listing_dates) if d), default=None
    )

    return PaperRecord(
        arxiv_id=ident,
        version=version,
        title=title,
        abstract=latex_to_unicode(clean_text(obj.get("abstract") or obj.get("summary"))),
        authors=_authors(obj),
        categories=categories,
        primary_category=primary,
        comments=clean_text(obj.get("comments") or obj.get("comment")),
        journal_ref=clean_text(obj.get("journal-ref") or obj.get("journal_ref")),
        doi=clean_text(obj.get("doi")),
        report_no=clean_text(obj.get("report-no") or obj.get("report_no")),
        license=clean_text(obj.get("license")),
        published=published,
        updated=updated,
        announced=announced,
    )


def _authors(obj: dict[str, Any]) -> list[str]:
    parsed = obj.get("authors_parsed")
    if (
        isinstance(parsed, list)
        and parsed
        and all(isinstance(p, list) and all(isinstance(s, str) for s in p) for p in parsed)
    ):
        # Kaggle: [last, first, suffix], already decoded from LaTeX; else the string below.
        names = [" ".join(s for s in (p[1:2] + p[0:1] + p[2:3]) if s) for p in parsed]
        return split_authors(names)
    return split_authors(obj.get("authors"))


def _dates(obj: dict[str, Any]):
    versions = obj.get("versions")
    if isinstance(versions, list) and versions:
        if not all(isinstance(v, dict) for v in versions):
            raise RecordError("versions: expected a list of objects")
        published = parse_datetime(versions[0].get("created"), "versions[0].created")
        updated = parse_datetime(versions[-1].get("created"), "versions[-1].created")
        return published, (updated if len(versions) > 1 else None)
    return parse_datetime(obj.get("created"), "created"), parse_datetime(
        obj.get("updated"), "updated"
    )


def _latest_version(versions: Any) -> int | None:
    if not isinstance(versions, list) or not versions:
        return None
    label = versions[-1].get("version", "") if isinstance(versions[-1], dict) else ""
    try:
        return arxiv_id.parse_version(label) if isinstance(label, str) else len(versions)
    except arxiv_id.InvalidArxivId:
        return len(versions)
