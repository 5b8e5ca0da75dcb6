"""The paper page: a paper as every viewer sees it (its abstract, featurings, similar
papers), kept by the page cache, with the viewer's own vote, save, collections and comments
put in per request; Markdown at the same address for an agent that asks for it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from dailypapers.api import views as api_views
from dailypapers.community import selectors as community
from dailypapers.feed import selectors as feed
from dailypapers.feed.models import Featured
from dailypapers.infra import pagecache
from dailypapers.infra.http import error_page
from dailypapers.papers import arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search

from . import common


def paper_detail(request: HttpRequest, raw: str) -> HttpResponse:
    """A paper's page (an old-style or versioned id redirects to its canonical address)."""
    try:
        ident = arxiv_id.parse(raw)
    except arxiv_id.InvalidArxivId as exc:
        return error_page(request, 404, "Not an arXiv id", str(exc))
    if ident.id != raw:
        return redirect("paper", raw=ident.id, permanent=True)
    if api_views.wants_markdown(request):
        response = api_views.paper_markdown(request, ident.id)
        patch_vary_headers(response, ["Accept"])
        return response
    recent = request.GET.get("similar") == "recent"
    response = pagecache.Detail(
        template="papers/detail.html",
        depends=(ident.id, recent, timezone.localdate()),
        gather=partial(_gather, ident.id, recent),
        holes=partial(_viewers_parts, ident),
        own=common.own,
    ).respond(request)
    patch_vary_headers(response, ["Accept"])  # the same address serves Markdown
    return response


def _gather(arxiv: str, recent: bool) -> tuple[Paper, dict[str, Any]] | None:
    """The paper (with its votes) and what its page shows every viewer; None for a paper
    the corpus lacks."""
    paper = feed.with_votes(Paper.objects.filter(arxiv_id=arxiv)).first()
    if paper is None:
        return None
    context = {
        "paper": paper,
        "featured": _featurings(paper),
        "upstream_votes": feed.upstream_votes([paper.pk]).get(paper.pk, []),
        "similar": search.similar_papers(paper, recent=recent),
        "similar_recent": recent,
    }
    return paper, context


@dataclass(frozen=True)
class _ByUpstream:
    """An upstream's featuring of the paper on a day, as its page line says it."""

    name: str
    page: str  # the paper's page there
    submitted_by: str  # the upstream's member
    upvotes: int
    comments: int


@dataclass(frozen=True)
class _Featuring:
    """A day the paper was featured, and by whom: a member, an operator's rule, upstreams."""

    featured: Featured
    upstreams: list[_ByUpstream]


def _featurings(paper: Paper) -> list[_Featuring]:
    """When the paper was featured, newest first, each with who featured it; an upstream's
    featuring hidden by a moderator is left out."""
    by_day = feed.upstream_featurings([paper.pk])
    return [
        _Featuring(
            f,
            [
                _ByUpstream(
                    u.upstream.name,
                    feed.upstream_page(u.upstream.url, paper.arxiv_id),
                    u.submitted_by,
                    u.upvotes,
                    u.comments,
                )
                for u in by_day.get((paper.pk, f.day), [])
            ],
        )
        for f in feed.featured_history(paper)
    ]


def _viewers_parts(
    ident: arxiv_id.ArxivId, viewer: pagecache.Viewer[common.Own], paper: Paper | None
) -> dict[str, str] | HttpResponse:
    """The viewer's own vote and save, collections and comments (with their forms), or an
    error page."""
    request = viewer.request
    if paper is not None and paper.hidden and paper.deleted_at is None:
        # A moderator's decision; a paper arXiv deleted keeps its page, with a notice.
        return error_page(
            request,
            404,
            "Paper hidden",
            f"A moderator hid arXiv:{ident.id} on this site.",
            link=(ident.abs_url, f"Open arXiv:{ident.id} on arxiv.org"),
        )
    if paper is None:
        return error_page(
            request,
            404,
            "Paper not here yet",
            f"arXiv:{ident.id} is not in this corpus.",
            link=(ident.abs_url, f"Open arXiv:{ident.id} on arxiv.org"),
        )
    own = viewer.own
    context = {
        "paper": paper,
        "user": request.user,
        "request": request,
        "voted": own.voted & {paper.pk},
        "saved": own.saved & {paper.pk},
        "collections": own.collections,
        "holding": own.holding.get(paper.pk, set()),
        "next": paper.get_absolute_url(),
        "comments": viewer.cached(("comments", paper.pk), partial(community.comments_for, paper)),
        "can_participate": own.can_participate and not paper.hidden,
        "csrf_token": pagecache.CSRF,
    }
    return {
        name: render_to_string(f"papers/_detail_{name}.html", context)
        for name in ("actions", "collections", "comments")
    }
