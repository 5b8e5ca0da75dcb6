"""Who may take part: a view decorator for pages that vote, comment, submit or subscribe."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from dailypapers.infra.http import Request, error_page

from . import selectors


def participant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in with a verified address and not banned; anonymous visitors go to log in and
    come back (htmx requests get a client-side redirect)."""

    @wraps(view)
    def wrapper(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            back = next_url(request, request.get_full_path())
            if request.htmx:
                return HttpResponseClientRedirect(f"{reverse('login')}?next={back}")
            return redirect_to_login(back)
        if not selectors.can_participate(request.user):
            return error_page(
                request,
                403,
                "Please verify your email address",
                "Open the link we mailed you to vote, comment and submit papers.",
                link=(reverse("resend_verification"), "Send the link again"),
            )
        return view(request, *args, **kwargs)

    return wrapper


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a form: ``next`` if it points to this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or default
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else default
