"""Error pages that say what went wrong in words, for people and for the error handlers."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
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
    return error_page(request, 400, "Bad request", "The request could not be understood.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "Page not found", "There is nothing at this address.")


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
