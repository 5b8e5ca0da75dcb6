"""Conditional GET for open data (the API, feeds, Markdown, sitemaps): an ``ETag`` from the
body, and a ``Last-Modified`` that is when this address first served this body, so that both
``If-None-Match`` and ``If-Modified-Since`` get a 304 exactly when nothing changed, votes and
comments included (a timestamp column would miss a withdrawn vote)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

_OPEN_DATA = ("/api/", "/feeds/", "/sitemap")
_FIRST_SEEN_FOR = 30 * 24 * 3600  # forgotten sooner, a client gets a 200: never a wrong 304


def is_open_data(path: str) -> bool:
    return path.startswith(_OPEN_DATA) or (path.startswith("/papers/") and path.endswith(".md"))


class ConditionalGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != 200
            or response.streaming
            or not is_open_data(request.path)
        ):
            return response
        body = hashlib.sha256(response.content)
        body.update(response.get("Content-Type", "").encode())
        etag = quote_etag(body.hexdigest()[:32])
        key = (
            "first-seen:" + hashlib.sha256(f"{request.get_full_path()} {etag}".encode()).hexdigest()
        )
        first_seen = cache.get(key)
        if first_seen is None:
            first_seen = int(time.time())
            cache.set(key, first_seen, _FIRST_SEEN_FOR)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(first_seen)
        if "HTTP_AUTHORIZATION" in request.META:  # a member's own answer (/api/v1/me)
            patch_vary_headers(response, ["Authorization"])
            response["Cache-Control"] = "private, no-cache"
        elif "Cache-Control" not in response:
            response["Cache-Control"] = "no-cache"  # may be stored, but revalidated each time
        conditional = get_conditional_response(
            request, etag=etag, last_modified=first_seen, response=response
        )
        return conditional or response
