"""Error pages that say what went wrong in words, for people and for the error handlers."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails


class Request(HttpRequest):
    """A request as the middleware leaves it, for type checking: with ``htmx`` details."""

    htmx: HtmxDetails


class MemberRequest(Request):
    """A request of a signed-in member: behind login_required or participant_required."""

    user: User


def error_page(
    request: HttpRequest,
    status: int,
    title: str,
    message: str,
    link: tuple[str, str] | None = None,
) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "link": link},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE, uploads.SizeLimit
        return too_large(request)
    # A BadRequest says what is wrong (a search over its length); a SuspiciousOperation's
    # words are for the log, not for whoever sent it.
    said = exception.args[0] if isinstance(exception, BadRequest) and exception.args else None
    message = said if isinstance(said, str) and said else "The request could not be understood."
    return error_page(request, 400, "Bad request", message)


def too_large(request: HttpRequest, limit: int | None = None) -> HttpResponse:
    """413, naming the limit when the caller knows which one applied."""
    most = f"at most {limit / 2**20:g} MB" if limit else "less"
    return error_page(request, 413, "Too large", f"This is more than the site takes: send {most}.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A view's own Http404 says what is missing (a feed's "not a category"); the resolver's
    # lists the site's patterns, which are not for readers.
    said = exception.args[0] if type(exception) is Http404 and exception.args else None
    message = said if isinstance(said, str) and said else "There is nothing at this address."
    return error_page(request, 404, "Page not found", message)


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        429,
        "Slow down a little",
        "You have done that many times in a short while. Please wait a few minutes and retry.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No template context processors here: the error may come from them.
    return HttpResponse(
        "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
        "<p>The error has been logged. Please try again later.</p>",
        status=500,
    )
