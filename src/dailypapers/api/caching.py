"""HTTP for open data (the API, feeds, Markdown, sitemaps): an ``ETag`` from the body, a
``Last-Modified`` that is when this address's body last changed, and HEAD answered as GET
without the body. Both ``If-None-Match`` and ``If-Modified-Since`` then get a 304 exactly
when nothing changed, votes and comments included (a timestamp column would miss a withdrawn
vote).

The time of the last change is kept per address in a cache of its own (``open_data``), so
that many addresses cannot push out other state such as rate limits; a forgotten address
starts again from now, which costs a client a 200, never a wrong 304.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

_OPEN_DATA = ("/api/", "/feeds/", "/sitemap")
_KEEP = 30 * 24 * 3600


def is_open_data(path: str) -> bool:
    return path.startswith(_OPEN_DATA) or (path.startswith("/papers/") and path.endswith(".md"))


def reads_only(sender: object, request: HttpRequest, **kwargs: object) -> bool:
    """Whether CORS applies (django-cors-headers' check_request_enabled): to reads of open
    data, and to preflights that ask for a read. A POST needs no preflight from a browser,
    so a path rule alone would let any page post with a member's token and read the answer."""
    if not is_open_data(request.path_info):
        return False
    method = request.method
    if method == "OPTIONS":
        method = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")
    return method in ("GET", "HEAD")


def changed_since(address: str, etag: str) -> int:
    """When ``address`` began to answer ``etag`` (seconds, whole): now if it answered another
    before, and always after the previous change, even within the same second."""
    store = caches["open_data"]
    key = "changed:" + hashlib.sha256(address.encode()).hexdigest()
    seen = store.get(key)
    if seen is not None and seen[0] == etag:
        return seen[1]
    since = max(int(time.time()), seen[1] + 1 if seen else 0)
    store.set(key, (etag, since), _KEEP)
    return since


class ConditionalGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_open_data(request.path) or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        head = request.method == "HEAD"
        request.method = "GET"  # the API routes GET only; HEAD is GET without the body
        response = self.get_response(request)
        request.method = "HEAD" if head else "GET"
        if response.status_code != 200 or response.streaming:
            return _headless(response) if head else response
        body = hashlib.sha256(response.content)
        body.update(response.get("Content-Type", "").encode())
        etag = quote_etag(body.hexdigest()[:32])
        since = changed_since(request.get_full_path(), etag)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(since)
        if "HTTP_AUTHORIZATION" in request.META:  # a member's own answer (/api/v1/me)
            patch_vary_headers(response, ["Authorization"])
            response["Cache-Control"] = "private, no-cache"
        elif "Cache-Control" not in response:
            response["Cache-Control"] = "no-cache"  # may be stored, but revalidated each time
        answer = get_conditional_response(
            request, etag=etag, last_modified=since, response=response
        )
        return _headless(answer or response) if head else (answer or response)


def _headless(response: HttpResponse) -> HttpResponse:
    if not response.streaming:
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response
