"""Open-data pages that are not API operations: a paper as Markdown, robots.txt, and the
member's API tokens page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dailypapers.community import selectors as community
from dailypapers.infra import limits
from dailypapers.infra.http import MemberRequest

from . import markdown, shapes, tokens


@limits.MARKDOWN.view
def paper_markdown(request: HttpRequest, raw: str) -> HttpResponse:
    """``/papers/{id}.md``: what ``HfApi.read_paper`` reads."""
    return markdown_response(shapes.item_for(raw))


def markdown_response(item: shapes.Item) -> HttpResponse:
    return HttpResponse(markdown.render(item), content_type="text/markdown; charset=utf-8")


def wants_markdown(request: HttpRequest) -> bool:
    """Whether the client asks for Markdown before HTML (``Accept: text/markdown``)."""
    best = request.get_preferred_type(["text/html", "text/markdown"])
    return best == "text/markdown"


def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /vote/",
        "Disallow: /comments/",
        "Disallow: /submit",
        "Disallow: /digest/",
        "Allow: /",
        "",
        f"Sitemap: {settings.DAILYPAPERS_SITE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _tokens_page(request: MemberRequest, made: dict[str, str] | None = None) -> HttpResponse:
    """The member's tokens, and ``made``, a new one, shown once: in the answer that made it."""
    context = {
        "tokens": tokens.of(request.user),
        "made": made,
        "most": tokens.MAX_PER_MEMBER,
        "verify_first": None if community.can_participate(request.user) else tokens.VERIFY_FIRST,
    }
    return render(request, "api/tokens.html", context)


@never_cache
@login_required
def token_list(request: MemberRequest) -> HttpResponse:
    return _tokens_page(request)


@never_cache  # it shows the new token, which is kept nowhere else (nor in the session)
@login_required
@require_POST
def token_create(request: MemberRequest) -> HttpResponse:
    try:
        token, raw = tokens.create(request.user, request.POST.get("name", ""))
    except tokens.TokenError as exc:
        messages.error(request, str(exc))
        return redirect("api_tokens")
    return _tokens_page(request, made={"name": token.name, "token": raw})


@login_required
@require_POST
def token_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    if not tokens.revoke(request.user, pk):
        raise Http404("no such token")
    messages.success(request, "The token is revoked: requests with it are refused from now on.")
    return redirect("api_tokens")
