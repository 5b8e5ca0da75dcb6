"""Hugging Face ``/api/daily_papers`` data: a bare API response (a JSON list of items) or an
archive line ``{"date": ..., "papers": [items]}``.

The featured day is the archive line's ``date``; for a bare item ``paper.submittedOnDailyAt``,
else the item's top-level ``publishedAt`` (older captures set that to the arXiv date, so it
comes last). ``paper.publishedAt`` is the paper's arXiv date. ``paper.memberUpvotes`` and
``paper.memberComments``, which only a dailypapers site sends, are its own members' part of the
counts.

Hugging Face's optional extras (``ai_summary``, ``ai_keywords``, ``githubStars``,
``organization``, the links) are dropped one by one where malformed, and the item still lands:
they decorate a paper that is otherwise sound.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .records import (
    FeatureRecord,
    PaperRecord,
    RecordError,
    clean_id,
    clean_text,
    latex_to_unicode,
    parse_date,
    parse_datetime,
    split_authors,
)


def parse_item(item: Any, day: dt.date | None = None) -> tuple[PaperRecord, FeatureRecord]:
    """One API item as the paper and its featuring; ``day`` is the archive's date, if any."""
    if not isinstance(item, dict):
        raise RecordError(f"expected a daily_papers item (object), got {type(item).__name__}")
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise RecordError("missing 'paper' object")
    ident, version = clean_id(paper.get("id"))
    title = latex_to_unicode(clean_text(paper.get("title") or item.get("title")))
    if not title:
        raise RecordError("missing title")
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise RecordError("paper.authors: expected a list")
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    if not all(isinstance(n, str) for n in names):
        raise RecordError("paper.authors: every author needs a name")

    submitted = parse_datetime(paper.get("submittedOnDailyAt"), "paper.submittedOnDailyAt")
    listed = parse_datetime(item.get("publishedAt"), "publishedAt")
    featured_at = submitted or listed
    if day is None:
        if featured_at is None:
            raise RecordError("no featured date (paper.submittedOnDailyAt or publishedAt)")
        day = featured_at.date()
    if featured_at is None or featured_at.date() != day:
        featured_at = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    # On the paper in Hugging Face's answers, on the item too in some captures.
    org_name, org_fullname = _organization(paper.get("organization") or item.get("organization"))
    record = PaperRecord(
        arxiv_id=ident,
        version=version,
        title=title,
        abstract=latex_to_unicode(clean_text(paper.get("summary") or item.get("summary"))),
        authors=split_authors(names),
        published=parse_datetime(paper.get("publishedAt"), "paper.publishedAt"),
        code_url=_url(paper.get("githubRepo")),
        project_url=_url(paper.get("projectPage")),
        ai_summary=_text(paper.get("ai_summary"), 2000),
        ai_keywords=_keywords(paper.get("ai_keywords")),
        github_stars=_stars(paper.get("githubStars")),
        organization=org_name,
        organization_fullname=org_fullname,
    )
    feature = FeatureRecord(
        arxiv_id=ident,
        day=day,
        featured_at=featured_at,
        upvotes=_count(paper.get("upvotes"), "paper.upvotes"),
        comments=_count(item.get("numComments"), "numComments"),
        # A dailypapers site tells its own members' part of the counts (see api.shapes).
        member_upvotes=_part(paper.get("memberUpvotes"), "paper.memberUpvotes"),
        member_comments=_part(paper.get("memberComments"), "paper.memberComments"),
    )
    feature.submitted_by, feature.submitted_by_fullname = _user(
        paper.get("submittedOnDailyBy") or item.get("submittedBy")
    )
    return record, feature


def archive_day(line: Any) -> tuple[dt.date, list[Any]]:
    """The date and items of one archive line ``{"date": "YYYY-MM-DD", "papers": [...]}``."""
    if not isinstance(line, dict) or not isinstance(line.get("papers"), list):
        raise RecordError("expected an archive line with 'date' and a 'papers' list")
    day = parse_date(line.get("date"), "date")
    if day is None:
        raise RecordError("archive line without 'date'")
    return day, line["papers"]


MAX_COUNT = 2**31 - 1  # what the count columns hold on every database


def _count(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise RecordError(f"{what}: expected a count, got {str(value)[:20]}")
    return value


def _part(value: Any, what: str) -> int | None:
    return None if value is None else _count(value, what)


def _user(value: Any) -> tuple[str, str]:
    """The name and full name of the upstream's member who submitted the paper."""
    if not isinstance(value, dict):
        return "", ""
    return _text(value.get("user") or value.get("name"), 150), _text(value.get("fullname"), 255)


def _url(value: Any) -> str:
    text = clean_text(value) if isinstance(value, str) else ""
    return text if text.startswith(("https://", "http://")) and len(text) <= 500 else ""


def _text(value: Any, limit: int) -> str:
    text = clean_text(value) if isinstance(value, str) else ""
    return text if len(text) <= limit else ""


def _keywords(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        return []
    return list(dict.fromkeys(k for k in (_text(k, 100) for k in value) if k))


def _stars(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
    return value if ok else None


def _organization(value: Any) -> tuple[str, str]:
    """Its name (the Hugging Face handle) and full name."""
    if not isinstance(value, dict):
        return "", ""
    return _text(value.get("name"), 100), _text(value.get("fullname"), 255)
