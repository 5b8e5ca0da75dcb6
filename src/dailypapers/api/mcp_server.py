"""An MCP server (the official ``mcp`` package) that lets AI assistants use this site as their
paper search: four read-only tools over the same selectors as the pages and the API.

``dailypapers mcp`` serves it over stdio (an assistant starts it as a subprocess);
``dailypapers mcp --http`` over streamable HTTP on a port of its own (``up`` starts that too
when ``DAILYPAPERS_MCP_PORT`` is set). A port of its own, not the site's address, because the
site is a WSGI app on gunicorn's threads, where each long-lived MCP stream would hold a thread
that page views need; the MCP server is asynchronous (Starlette) and costs the site nothing.
Over HTTP each request counts against the API's rate per client address (``http_app``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import anyio
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import Http404
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dailypapers.feed import paging, periods
from dailypapers.feed import selectors as feed
from dailypapers.infra import limits
from dailypapers.search import selectors as search

from . import shapes
from .core import Limit

server = MCPServer(
    name="dailypapers",
    instructions=(
        "Search and read the research papers of a dailypapers site: arXiv papers, the ones "
        "its community features each day, their votes and comments. Cite papers by arXiv id "
        "and link their page."
    ),
)
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_T = TypeVar("_T")


def _closing(fn: Callable[..., _T]) -> Callable[..., _T]:
    """``fn``, for a worker thread (the SDK's pool for tools, anyio's for limits): each call
    closes its thread's database connections when done, so that idle threads hold none (a call
    is an assistant's step; a new connection costs it nothing it would notice)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> _T:
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return run


def _tool(fn: Callable[..., _T]) -> Callable[..., _T]:
    """A read-only tool."""
    run = _closing(fn)
    server.tool(annotations=_READ_ONLY)(run)
    return run


def _brief(item: shapes.Item) -> dict[str, Any]:
    full = shapes.paper(item)
    keep = ("id", "title", "authors", "primary_category", "published", "abstract")
    brief = {key: full[key] for key in keep}
    brief["published"] = full["published"].date().isoformat() if full["published"] else None
    brief["url"], brief["pdf"] = full["links"]["page"], full["links"]["pdf"]
    brief["votes"] = full["votes"]["total"]
    brief["ai_summary"] = full["hugging_face"]["ai_summary"]  # Hugging Face's TL;DR, if any
    return brief


@_tool
def search_papers(
    query: str,
    limit: int = paging.SHORT_LIMIT,
    sort: Literal["relevance", "date", "votes"] = "relevance",
) -> list[dict[str, Any]]:
    """Search papers by keywords and meaning. The query language: "exact phrase",
    -excluded, author:"Name", cat:cs.LG, after:2024-01, before:2025; an arXiv id finds that
    paper. Returns up to `limit` (1-50) papers, best first."""
    limit = _within(limit, paging.SHORT_MAX_LIMIT)
    try:
        results = search.search(query, sort)
    except search.QueryTooLong as exc:  # says how long a query may be
        raise ToolError(str(exc)) from None
    return [_brief(i) for i in shapes.items(results.papers(0, limit))]


@_tool
def daily_papers(
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
    sort: Literal["votes", "trending", "new"] = "votes",
    limit: int = paging.API_LIMIT,
) -> list[dict[str, Any]]:
    """The papers the community featured on a day (YYYY-MM-DD; the latest day by default),
    in an ISO week (YYYY-Www) or a month (YYYY-MM), most upvoted first."""
    try:
        period = feed.period_of(date, week, month)
    except periods.BadPeriod as exc:  # says what was expected
        raise ToolError(str(exc)) from None
    if period is None:
        return []
    limit = _within(limit, paging.API_MAX_LIMIT)
    rows = list(feed.listing(period.start, period.end, sort)[:limit])
    return [_brief(i) for i in shapes.items(rows, period.start, period.end)]


@_tool
def paper_details(paper_id: str) -> dict[str, Any]:
    """Everything about one paper, by arXiv id or link: abstract, authors, dates,
    categories, links (arXiv, PDF, code), votes, comments count and when it was featured."""
    return shapes.paper(_item(paper_id))


@_tool
def similar_papers(paper_id: str, limit: int = paging.SHORT_LIMIT) -> list[dict[str, Any]]:
    """Papers closest in meaning to one paper (by arXiv id or link), or by keywords while it
    is not embedded."""
    limit = _within(limit, paging.SHORT_MAX_LIMIT)
    near = search.similar_papers(_item(paper_id).paper, limit).papers
    return [_brief(i) for i in shapes.items(near)]


def _within(limit: int, most: int) -> int:
    """``limit`` brought into 1..``most``: an assistant's number is taken, not refused."""
    return max(1, min(limit, most))


def _item(paper_id: str) -> shapes.Item:
    try:
        return shapes.item_for(paper_id)
    except Http404 as exc:  # the reason, for the assistant
        raise ToolError(str(exc)) from None


_LIMIT = Limit(limits.MCP)


def http_app(host: str) -> ASGIApp:
    """The streamable-HTTP app (at ``/mcp``), each request counted per client address as the
    API counts them (``counters.client_ip``, an IPv6 /64 as one client). Past the rate: a 429
    with Retry-After, its body a JSON-RPC error that MCP clients show as it is."""
    app = server.streamable_http_app(host=host)

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        wait = await anyio.to_thread.run_sync(_wait, scope) if scope["type"] == "http" else None
        await (app if wait is None else _too_many(wait))(scope, receive, send)

    return limited


@_closing
def _wait(scope: Scope) -> int | None:
    """Count the request; the seconds its client must wait, or None while under the rate."""
    if _LIMIT.allow_request(ASGIRequest(scope, io.BytesIO())):
        return None
    return round(_LIMIT.wait() or 1)


def _too_many(wait: int) -> JSONResponse:
    message = f"Too many requests: slow down and retry in {wait} seconds."
    return JSONResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )
