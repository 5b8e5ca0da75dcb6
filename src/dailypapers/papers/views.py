from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dailypapers.community import selectors as community
from dailypapers.community.forms import CommentForm
from dailypapers.community.views import vote_context
from dailypapers.feed import selectors as feed
from dailypapers.search import selectors as search
from dailypapers.views import error_page

from . import arxiv_id, selectors


def paper_detail(request: HttpRequest, raw: str) -> HttpResponse:
    try:
        ident = arxiv_id.parse(raw)
    except arxiv_id.InvalidArxivId as exc:
        return error_page(request, 404, "Not an arXiv id", str(exc))
    if ident.id != raw:
        return redirect("paper", raw=ident.id, permanent=True)
    paper = selectors.paper_by_id(ident.id)
    if paper is None:
        return error_page(
            request,
            404,
            "Paper not here yet",
            f"arXiv:{ident.id} is not in this corpus.",
            link=(ident.abs_url, f"Open arXiv:{ident.id} on arxiv.org"),
        )
    context = vote_context(request, paper)
    context.update(
        featured=feed.featured_history(paper),
        comments=community.comments_for(paper),
        comment_form=CommentForm(),
        can_participate=community.can_participate(request.user),
        similar=search.similar(paper),
    )
    return render(request, "papers/detail.html", context)
