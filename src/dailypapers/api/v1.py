"""``/api/v1``: dailypapers' own API. Reads are open (papers, the feed of a day, week or month,
trending, search, similar papers, comments, categories); writes (submit, vote, comment) take a
member's personal token and follow the site's rules through the same services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from dailypapers.community import selectors as community
from dailypapers.community import services as community_services
from dailypapers.community.models import Comment as CommentRow
from dailypapers.community.models import Submission as SubmissionRow
from dailypapers.feed import paging, periods
from dailypapers.feed import selectors as feed
from dailypapers.infra import limits
from dailypapers.library import selectors as library
from dailypapers.papers import selectors as papers
from dailypapers.papers.categories import NAMES
from dailypapers.recommend import selectors as recommend
from dailypapers.search import selectors as search

from . import cursors, shapes
from .core import (
    PERIOD,
    READ_ERRORS,
    WRITE_ERRORS,
    Bearer,
    Limit,
    next_url,
    page_of,
)
from .schemas import (
    Category,
    CollectionPage,
    Comment,
    CommentIn,
    Me,
    Paper,
    PaperCursorPage,
    PaperPage,
    Pick,
    SearchPage,
    SubmissionOut,
    SubmitIn,
    VoteOut,
)

router = Router(tags=["dailypapers"])
members = Bearer()

Page = Query(1, ge=1, le=100_000, description="Page, from 1.")
PageLimit = Query(
    paging.API_LIMIT,
    ge=1,
    le=paging.API_MAX_LIMIT,
    description=f"Papers per page, at most {paging.API_MAX_LIMIT}.",
)
FeedSort = Literal["votes", "trending", "new"]


def _paged(request: HttpRequest, rows, page: int, limit: int, start=None, end=None) -> dict:
    found, count, more = page_of(rows, page, limit)
    return {
        "count": count,
        "page": page,
        "limit": limit,
        "next": next_url(request, page=page + 1) if more else None,
        "results": [shapes.paper(i) for i in shapes.items(found, start, end)],
    }


# --- papers -----------------------------------------------------------------------------------


@router.get("/papers", response={200: PaperCursorPage, **READ_ERRORS})
def paper_list(
    request: HttpRequest,
    response: HttpResponse,
    cursor: str | None = Query(None, description="The `next` of the previous page."),
    limit: int = PageLimit,
):
    """Every paper, newest first by arXiv date, by cursor."""
    rows, following = cursors.walk(request, response, cursor, limit)
    return {"next": following, "results": [shapes.paper(i) for i in shapes.items(rows)]}


@router.get("/papers/{path:paper_id}/similar", response={200: list[Paper], **READ_ERRORS})
def similar(
    request: HttpRequest,
    paper_id: str,
    limit: int = Query(paging.SHORT_LIMIT, ge=1, le=paging.SHORT_MAX_LIMIT),
    recent: bool = Query(False, description="Only papers of the corpus's last year."),
):
    """The papers nearest in meaning (embeddings), or by keywords (its title) while the paper
    is not embedded: the paper page's "Similar papers"."""
    near = search.similar_papers(shapes.item_for(paper_id).paper, limit, recent).papers
    return [shapes.paper(i) for i in shapes.items(near)]


@router.get("/papers/{path:paper_id}/comments", response={200: list[Comment], **READ_ERRORS})
def comments(request: HttpRequest, paper_id: str):
    """The visible comments, oldest first, each with its replies."""
    return [
        _comment(c, c.visible_replies)
        for c in community.comments_for(shapes.item_for(paper_id).paper)
    ]


def _comment(c: CommentRow, replies: list[CommentRow]) -> dict:
    return {
        "id": c.pk,
        "author": c.author,
        "body": c.body,
        "created_at": c.created_at,
        "edited_at": c.edited_at,
        "parent": c.parent_id,
        "replies": [_comment(r, []) for r in replies],
    }


# --- the daily feed ---------------------------------------------------------------------------


@router.get("/feed/latest", response={200: PaperPage, **READ_ERRORS})
def latest(
    request: HttpRequest, sort: FeedSort = "votes", page: int = Page, limit: int = PageLimit
):
    """The latest day with featured papers (as the home page)."""
    day = feed.latest_day()
    if day is None:
        return {"count": 0, "page": 1, "limit": limit, "next": None, "results": []}
    return _paged(request, feed.listing(day, day, sort), page, limit, day, day)


@router.get("/feed/{kind}/{period}", response={200: PaperPage, **READ_ERRORS})
def period_feed(
    request: HttpRequest,
    kind: Literal["date", "week", "month"],
    period: str = Path(..., pattern=PERIOD, description="YYYY-MM-DD, YYYY-Www or YYYY-MM."),
    sort: FeedSort = "votes",
    page: int = Page,
    limit: int = PageLimit,
):
    """The papers featured on a day (YYYY-MM-DD), in an ISO week (YYYY-Www) or a month
    (YYYY-MM), as the site's pages of the same address list them."""
    try:
        p = periods.parse(kind, period)
    except periods.BadPeriod as exc:
        raise HttpError(400, str(exc)) from None
    return _paged(request, feed.listing(p.start, p.end, sort), page, limit, p.start, p.end)


@router.get("/trending", response={200: PaperPage, **READ_ERRORS})
def trending(request: HttpRequest, page: int = Page, limit: int = PageLimit):
    """The last 7 days by the trending score (see /about/ranking)."""
    start, end = feed.trending_window()
    return _paged(request, feed.listing(start, end, "trending"), page, limit, start, end)


# --- search -----------------------------------------------------------------------------------


@router.get("/search", response={200: SearchPage, **READ_ERRORS})
def search_papers(
    request: HttpRequest,
    q: str = Query(
        ..., min_length=1, description=f"At most {search.MAX_QUERY} characters. See /search/help."
    ),
    sort: Literal["relevance", "date", "votes"] = "relevance",
    page: int = Page,
    limit: int = PageLimit,
):
    """The site's search: keywords and meaning, the query language (`author:`, `cat:`,
    `after:`, `before:`, `"phrases"`, `-exclusions`), an exact arXiv id or title first."""
    results = search.search(q, sort)
    start = (page - 1) * limit
    if start and start >= len(results.ids):
        raise Http404(f"There is no page {page} of {len(results.ids)} results.")
    more = start + limit < len(results.ids)
    return {
        "count": len(results.ids),
        "page": page,
        "limit": limit,
        "next": next_url(request, page=page + 1) if more else None,
        "results": [shapes.paper(i) for i in shapes.items(results.papers(start, start + limit))],
        "semantic": results.semantic,
        "notice": results.semantic_error,
    }


@router.get("/collections/{username}/{slug}", response={200: CollectionPage, **READ_ERRORS})
def collection(
    request: HttpRequest, username: str, slug: str, page: int = Page, limit: int = PageLimit
):
    """A member's public collection, the papers added last first."""
    found = library.public(username, slug)
    if found is None:
        raise Http404(f"{username} has no public collection {slug!r}.")
    return {
        **_paged(request, library.papers_in(found), page, limit),
        "name": found.name,
        "description": found.description,
        "owner": found.owner.username,
        "url": settings.DAILYPAPERS_SITE_URL + found.public_url,
    }


@router.get("/categories", response={200: list[Category], **READ_ERRORS})
def categories(request: HttpRequest):
    """Primary categories of the corpus, the largest first (counted every 10 minutes)."""
    # Counting 240k papers takes ~0.2 s, and the counts move only with imports.
    counts = cache.get_or_set("api-v1-categories", papers.primary_category_counts, 600) or []
    return [{"code": code, "name": NAMES.get(code, ""), "papers": n} for code, n in counts]


# --- writes, with a personal token --------------------------------------------------------------


def _participant(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]  # set by Bearer
    if not community.can_participate(user):
        raise HttpError(403, "Verify your email address on the site to vote, comment and submit.")
    return user


@router.get("/me", auth=members, response={200: Me, **WRITE_ERRORS})
def me(request: HttpRequest):
    """Whose token this is, and whether it may write."""
    user = request.auth  # type: ignore[attr-defined]
    return {"username": user.username, "can_participate": community.can_participate(user)}


@router.get("/me/for-you", auth=members, response={200: list[Pick], **WRITE_ERRORS})
def for_you(
    request: HttpRequest,
    days: int = Query(recommend.DEFAULT_DAYS, ge=1, le=recommend.MAX_DAYS),
    limit: int = Query(paging.API_LIMIT, ge=1, le=recommend.RANKED),
):
    """The token owner's "for you" picks of the corpus's last ``days`` days, best first, each
    with its reason (as on /for-you)."""
    chosen = recommend.picks(request.auth, limit, days=days)  # type: ignore[attr-defined]
    found = {i.paper.pk: i for i in shapes.items([p.paper for p in chosen])}
    return [{"paper": shapes.paper(found[p.paper.pk]), "reason": p.why} for p in chosen]


# The same budgets as the site's forms (community.limits): one per member and action.
@router.post(
    "/submissions",
    auth=members,
    response={201: Paper, 202: SubmissionOut, **WRITE_ERRORS},
    throttle=[Limit(limits.SUBMIT)],
)
def submit(request: HttpRequest, body: SubmitIn):
    """Feature a paper today, by arXiv id or link, under the site's rules: recent papers only,
    once, a daily quota per member. 201 with the paper; 202 when the corpus lacks it and it is
    being fetched from arXiv: follow it at ``/api/v1/submissions/{id}``."""
    try:
        done = community_services.submit_paper(_participant(request), body.paper)
    except community_services.CommunityError as exc:
        raise HttpError(400, exc.message) from None
    if isinstance(done, SubmissionRow):
        return Status(202, done)
    return Status(201, shapes.paper(shapes.item_for(done.paper.arxiv_id)))


@router.get("/submissions/{pk}", auth=members, response={200: SubmissionOut, **WRITE_ERRORS})
def submission(request: HttpRequest, pk: int = Path(..., ge=1, le=2**62)):
    """One of the token owner's submissions that are fetched from arXiv: fetching, featured,
    or failed with the reason."""
    found = community.submission_of(request.auth, pk)  # type: ignore[attr-defined]
    if found is None:
        raise Http404("No such submission of yours.")
    return found


def _vote_route(method: Callable[..., Any]) -> Any:
    """The vote's address under ``method`` (PUT votes, DELETE withdraws)."""
    return method(
        "/papers/{path:paper_id}/vote",
        auth=members,
        response={200: VoteOut, **WRITE_ERRORS},
        throttle=[Limit(limits.VOTE)],
    )


@_vote_route(router.put)
def upvote(request: HttpRequest, paper_id: str):
    """Upvote a paper (again: no change)."""
    return _vote(request, paper_id, up=True)


@_vote_route(router.delete)
def withdraw_vote(request: HttpRequest, paper_id: str):
    """Withdraw your upvote (none: no change)."""
    return _vote(request, paper_id, up=False)


def _vote(request: HttpRequest, paper_id: str, up: bool) -> dict:
    user = _participant(request)
    target = shapes.item_for(paper_id).paper
    community_services.set_vote(user, target, up)
    return {"voted": up, "votes": feed.vote_totals([target.pk]).get(target.pk, 0)}


@router.post(
    "/papers/{path:paper_id}/comments",
    auth=members,
    response={201: Comment, **WRITE_ERRORS},
    throttle=[Limit(limits.COMMENT)],
)
def comment(request: HttpRequest, paper_id: str, body: CommentIn):
    """Comment on a paper (Markdown), or reply to one of its comments."""
    user = _participant(request)
    target = shapes.item_for(paper_id).paper
    parent = None
    if body.parent is not None:
        parent = community.visible_comment(body.parent)
        if parent is None:
            raise HttpError(400, f"There is no comment {body.parent} to reply to.")
    try:
        c = community_services.add_comment(user, target, body.body, parent)
    except community_services.CommunityError as exc:
        raise HttpError(400, exc.message) from None
    return Status(201, _comment(c, []))


# Last: ``{path:paper_id}`` would also match the addresses above that go on after the id.
@router.get("/papers/{path:paper_id}", response={200: Paper, **READ_ERRORS})
def paper(request: HttpRequest, paper_id: str):
    """One paper by arXiv id or link, with every featuring."""
    return shapes.paper(shapes.item_for(paper_id))
