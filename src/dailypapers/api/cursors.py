"""Cursor paging over every paper (``/api/papers``, ``/api/v1/papers``): the cursor names the
last paper of a page, so that a walk sees each paper once while papers arrive."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja.errors import HttpError

from dailypapers.feed import selectors as feed
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from .core import next_url

MAX_PK = 2**63 - 1  # the largest primary key either database holds (a signed 64-bit integer)


def encode(paper: Paper) -> str:
    when = paper.published.isoformat() if paper.published else ""
    return base64.urlsafe_b64encode(f"{when}|{paper.pk}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[dt.datetime | None, int] | None:
    """The ``(published, pk)`` a cursor names; 400 for one this site did not write."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = text.split("|")
        published = dt.datetime.fromisoformat(when) if when else None
        if published is not None:  # as encode() writes it: aware, within UTC's range
            if published.tzinfo is None:
                raise ValueError(when)
            published = published.astimezone(dt.UTC)
        if not (pk.isascii() and pk.isdigit() and int(pk) <= MAX_PK):
            raise ValueError(pk)
        return published, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise HttpError(400, "Not a cursor of this API: pass on the one a page gave.") from None


def walk(
    request: HttpRequest, response: HttpResponse, cursor: str | None, limit: int
) -> tuple[list[Paper], str | None]:
    """One page of papers (with their votes), newest first, and the next page's address,
    also put in ``response``'s ``Link`` header (where Hugging Face's clients look)."""
    rows = papers.newest_first(decode(cursor), limit, feed.with_votes(papers.visible()))
    following = next_url(request, cursor=encode(rows[-1])) if len(rows) == limit else None
    if following:
        response["Link"] = f'<{following}>; rel="next"'
    return rows, following
