"""The API's frame: one NinjaAPI for ``/api/`` (the Hugging Face paths and ``/api/v1``), its
errors as ``{"error": "..."}`` with a 4xx status (the key ``huggingface_hub`` reads), bearer
tokens for writes, and per-client rate limits."""

from __future__ import annotations

import functools
import threading
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.core.paginator import EmptyPage, Paginator
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import get_usage
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from dailypapers.feed import paging
from dailypapers.infra import limits

from . import tokens
from .schemas import Error

# What a read may answer besides 200, for the OpenAPI document.
READ_ERRORS: dict[int, type] = {400: Error, 404: Error, 429: Error}
# 413: a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
WRITE_ERRORS: dict[int, type] = {status: Error for status in (400, 401, 403, 404, 413, 429)}
# The forms of periods, for the OpenAPI document (periods.parse checks the values).
DAY, WEEK, MONTH = r"^\d{4}-\d{2}-\d{2}$", r"^\d{4}-W\d{2}$", r"^\d{4}-\d{2}$"
PERIOD = r"^\d{4}-(\d{2}|\d{2}-\d{2}|W\d{2})$"


class Limit(SimpleRateThrottle):
    """A ``Budget`` of the table (``infra.limits``) spent through the API. Its ``user`` is
    the token's holder (a ``user_or_ip`` budget counts the address without one). Counted as
    the site's forms are (django-ratelimit, in the atomic ``ratelimit`` cache), so that
    parallel requests lose no count, many clients push none out, a member's action spends the
    same budget as its form, and an address is the one the site's limits count (the ``ip``
    key: behind trusted proxies the one they saw, and an IPv6 client's /64, any address of
    which it may send from).

    One instance serves every request of its operation, on every thread: what a request
    works with stays in locals, and ``wait()`` reads this thread's answer."""

    def __init__(self, budget: limits.Budget) -> None:
        self.budget = budget
        self._waits = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        holder = getattr(request, "auth", None)
        key = self.budget.key
        if key in ("user", "user_or_ip"):  # the holder, not the session's user, if any
            # The value of django-ratelimit's ``user`` key, which the forms count under.
            key = (lambda _group, _request: str(holder.pk)) if isinstance(holder, User) else "ip"
        usage = get_usage(
            request,
            group=self.budget.group,
            key=key,
            rate=self.budget.rate,
            method=self.budget.method,
            increment=True,
        )
        if usage is None or not usage["should_limit"]:  # None: limits are off
            return True
        self._waits.seconds = max(1, usage["time_left"])
        return False

    def wait(self) -> float | None:
        return getattr(self._waits, "seconds", None)


class Bearer(HttpBearer):
    """``Authorization: Bearer dp_...``: a member's personal token (``tokens``)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return tokens.user_for(token)


api = NinjaAPI(
    title="dailypapers",
    version="1",
    description=(
        "Papers, the daily feed, search and comments of this dailypapers site.\n\n"
        "* `/api/v1/...`: dailypapers' own API. Reads are open; writes take a personal token "
        "(`Authorization: Bearer ...`, made under Account settings → API tokens).\n"
        "* `/api/daily_papers`, `/api/papers/...`: the same paths, parameters and JSON as "
        "Hugging Face's papers API, so that its clients (`huggingface_hub.HfApi(endpoint=...)`) "
        "work unchanged.\n"
        "* Not here but beside it: RSS and Atom feeds (`/feeds/day.rss`, `/feeds/trending.rss`, "
        "`/feeds/category/cs.LG.rss`, `/feeds/search.rss?q=...`; `.atom`), papers as Markdown "
        "(`/papers/{id}.md`) and an MCP server for assistants (`dailypapers mcp`).\n\n"
        'Errors are `{"error": "..."}` with a 4xx status. Lists page with `page`/`limit` '
        f"(`limit` at most {paging.API_MAX_LIMIT}) or a cursor. Responses carry an `ETag`; "
        "send it back in `If-None-Match` for a 304 when nothing changed."
    ),
    urls_namespace="api",
    docs_url="/v1/docs",
    openapi_url="/v1/openapi.json",
    throttle=[Limit(limits.API_READ)],
)


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for e in exc.errors:
        where = ".".join(str(part) for part in e.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {e.get('msg', 'invalid')}")
    return _error(request, "Invalid request. " + "; ".join(problems) + ".", 400)


@api.exception_handler(DataError)
def _unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
    # Input the database cannot hold or compare (PostgreSQL refuses NUL in text): the
    # request's fault, not the server's. Inputs are checked before; this is the backstop.
    return _error(request, "The request holds characters or values the database refuses.", 400)


@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    # Says what is wrong: a search over its length (search.QueryTooLong), say.
    return _error(request, str(exc) or "The request could not be understood.", 400)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, f"The body is larger than this API takes ({limit} bytes).", 413)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, str(exc) or "Not found.", 404)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _error(request, "Too many requests: slow down and retry in a moment.", 429)
    if exc.wait:
        response["Retry-After"] = str(max(1, round(exc.wait)))
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request, "This needs a valid personal API token: Authorization: Bearer <token>.", 401
    )
    response["WWW-Authenticate"] = 'Bearer realm="dailypapers"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.message, exc.status_code)


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """``api.urls``, with django-ninja's plain-text 405 (a method an address does not take) as
    the API's other errors are: JSON, with the Allow header kept."""
    patterns, app_name, namespace = api.urls
    return [_json_405(p) for p in patterns], app_name, namespace


def _json_405(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if not isinstance(pattern, URLPattern):
        return pattern
    view = pattern.callback

    @functools.wraps(view)  # keeps csrf_exempt
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response["Content-Type"].startswith("application/json"):
            return response
        answer = _error(request, f"{request.method} is not allowed at {request.path}.", 405)
        answer["Allow"] = response["Allow"]
        return answer

    return URLPattern(pattern.pattern, run, pattern.default_args, pattern.name)


@csrf_exempt  # a 404 for every method, not the CSRF check's 403 page
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a JSON 404, not the site's HTML page."""
    return _error(request, f"No API endpoint at {request.path}. See /api/v1/docs.", 404)


def page_of(rows: Any, page: int, limit: int) -> tuple[list[Any], int, bool]:
    """``rows[(page-1)*limit : page*limit]`` (counted and sliced by the database for a
    queryset), the total count, and whether there is a next page; 404 past the last."""
    paginator = Paginator(rows, limit, allow_empty_first_page=True)
    try:
        current = paginator.page(page)
    except EmptyPage:
        raise Http404(f"There is no page {page}: there are {paginator.num_pages}.") from None
    return list(current.object_list), paginator.count, current.has_next()


def next_url(request: HttpRequest, **params: Any) -> str:
    """This request's address with ``params`` replaced (for ``next`` links)."""
    query = request.GET.copy()
    for key, value in params.items():
        query[key] = str(value)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
