"""The HTTP client for upstreams: Hugging Face's ``/api/daily_papers``, served by
huggingface.co and by every dailypapers site, read under ``polite``'s rules (one request at a
time per upstream, ``DAILYPAPERS_UPSTREAM_INTERVAL`` apart, retries and backoff honouring
``Retry-After``), with conditional requests where the upstream sends an ``ETag``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings

from dailypapers.feed.selectors import public_url

from .polite import Answer, Clock, PoliteClient, RateLimiter, SystemClock, Unreachable, user_agent

PAGE_SIZE = 100  # items per request: the most Hugging Face gives
MAX_BYTES = 10 * 2**20  # a full page is about 300 KB


class UpstreamError(Unreachable):
    """The upstream could not be reached or kept failing."""


class MalformedPage(ValueError):
    """An answer that is no list of items (HTML, not JSON, an object): the day is skipped."""


@dataclass(frozen=True)
class Page:
    """One page of a day's list: its raw items, or None when unchanged since ``etag``."""

    items: list[Any] | None
    etag: str


class UpstreamClient(PoliteClient):
    error = UpstreamError
    retry_unconnected = False  # the next hourly sync tries again; the worker has other jobs

    def __init__(
        self,
        url: str,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        interval: float | None = None,
        max_attempts: int | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        host = urlsplit(public_url(self.url)).netloc or self.url  # no user:password in logs
        limiter = RateLimiter(
            clock or SystemClock(),
            settings.DAILYPAPERS_UPSTREAM_INTERVAL if interval is None else interval,
            name=f"upstream {host}"[:50],
            max_wait=settings.DAILYPAPERS_UPSTREAM_MAX_WAIT,
            error=UpstreamError,
            service=host,
        )
        super().__init__(
            host,
            limiter,
            http
            or httpx.Client(
                timeout=httpx.Timeout(settings.DAILYPAPERS_UPSTREAM_TIMEOUT, connect=5),
                headers={"User-Agent": user_agent(), "Accept": "application/json"},
                follow_redirects=True,
            ),
            max_attempts or settings.DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS,
            settings.DAILYPAPERS_UPSTREAM_BACKOFF,
            MAX_BYTES,
        )

    def daily_papers(self, day: dt.date, page: int, etag: str = "") -> Page:
        """Page ``page`` (from 0) of the upstream's list of ``day``."""
        params = {"date": day.isoformat(), "limit": str(PAGE_SIZE), "p": str(page)}
        headers = {"If-None-Match": etag} if etag else None
        return self.fetch(f"{self.url}/api/daily_papers", params, _parse_page, headers)


def _parse_page(answer: Answer) -> Page:
    etag = answer.headers.get("ETag", "")
    if answer.status == 304:
        return Page(None, etag)
    if answer.body.lstrip()[:1] == b"<":
        raise MalformedPage("the upstream answered HTML, not JSON")
    try:
        value = orjson.loads(answer.body)
    except orjson.JSONDecodeError as exc:
        raise MalformedPage(f"the answer is not JSON ({exc})") from None
    # One of Hugging Face's days once came wrapped as {"status", "date", "count", "data": [...]}.
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    if not isinstance(value, list):
        raise MalformedPage(f"expected a list of papers, got a JSON {type(value).__name__}")
    return Page(value, etag)
