"""Pages that compose several apps: the day, week and month listings, trending, "new on
arXiv", "for you", the paper page, and a member's own data (download, delete). They sit above
every app (README, "Layout") and take what they show from each app's selectors; pages of one
app stay in that app's views."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe

from dailypapers.api import tokens
from dailypapers.api import views as api_views
from dailypapers.community import selectors as community
from dailypapers.community import services as community_services
from dailypapers.digest import selectors as digest
from dailypapers.feed import periods
from dailypapers.feed import selectors as feed
from dailypapers.infra import pagecache
from dailypapers.infra.http import MemberRequest, error_page
from dailypapers.library import formats as library_formats
from dailypapers.library import selectors as library
from dailypapers.papers import arxiv_id, categories
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper
from dailypapers.recommend import selectors as recommend
from dailypapers.search import selectors as search

# --- listings ---------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """The latest day with featured papers (or a welcome page on an empty site)."""
    latest = feed.latest_day()
    if latest is None:
        return render(request, "feed/empty_site.html")
    return _listing(request, periods.day(latest))


def period(request: HttpRequest, kind: str, text: str) -> HttpResponse:
    try:
        p = periods.parse(kind, text)
    except periods.BadPeriod as exc:
        return error_page(request, 404, "No such page", str(exc))
    return _listing(request, p)


def trending(request: HttpRequest) -> HttpResponse:
    """The last 7 days, by the trending score."""
    end = timezone.localdate()
    start = end - dt.timedelta(days=6)
    page = _page(
        request, library.without_dismissed(feed.listing(start, end, "trending"), request.user)
    )
    context = {"page": page, "start": start, "end": end, **_marks(request, page)}
    return render(request, "feed/trending.html", context)


def _listing(request: HttpRequest, p: periods.Period) -> HttpResponse:
    sort = request.GET.get("sort", feed.DEFAULT_SORT)
    if sort not in feed.SORTS:
        sort = feed.DEFAULT_SORT
    content = pagecache.stamp()
    # What changes with time alone: the day (the top bar's week and month, "not yet"), and a
    # trending order, which decay reorders slowly: an hour's order at most.
    clock = timezone.now().strftime("%Y-%m-%dT%H" if sort == "trending" else "%Y-%m-%d")
    build = partial(_listing_html, request, p, sort, content, clock)
    if pagecache.shareable(request, content):
        key = ("page", content, clock, request.get_full_path())
        return pagecache.shared_page(request, key, build)
    return pagecache.private_page(request, build)


# What a card shows that a write can change: a card is cached under these values. Every write
# of a paper's fields moves its modified_at on (auto_now, and the importer sets it).
_CARD = ("pk", "modified_at", "member_votes", "imported_votes", "num_comments")


def _card_row(paper: Paper) -> tuple[Any, ...]:
    """A paper's ``_CARD`` row; outside a listing it has no period's ``num_comments``."""
    return tuple(getattr(paper, f, None) for f in _CARD)


def _period(p: periods.Period, sort: str) -> list[tuple[Any, ...]]:
    """A period's papers in order, as one ``_CARD`` row each: what the page caches."""
    return list(feed.listing(p.start, p.end, sort).values_list(*_CARD))


def _listing_html(
    request: HttpRequest, p: periods.Period, sort: str, content: int | None, clock: str, csrf: bytes
) -> bytes:
    rows = pagecache.cached(
        content, ("period", p.kind, p.slug, sort, clock), partial(_period, p, sort)
    )
    own = _own(request, content)
    if own.dismissed:
        rows = [row for row in rows if row[0] not in own.dismissed]
    page = _page(request, rows)
    member = request.user.is_authenticated
    pks = [row[0] for row in page]
    marks = [(pk in own.voted, pk in own.saved) for pk in pks] if member else []
    # The same for every viewer who has these papers here with these marks on them: every
    # visitor, and most members (the most have none on a page).
    path = request.get_full_path()
    key = ("listing", clock, path, page.paginator.count, member, *pks, *marks)
    shown = (clock, path, page.paginator.count, *pks)
    build = partial(_listing_page, request, content, own, p, sort, page, shown)
    return pagecache.personal(request, pagecache.cached(content, key, build), csrf)


def _listing_page(
    request: HttpRequest,
    content: int | None,
    own: _Own,
    p: periods.Period,
    sort: str,
    page: Page,
    shown: tuple[Hashable, ...],
) -> pagecache.Frozen:
    html = pagecache.cached(
        content, ("skeleton", *shown), partial(_listing_skeleton, p, sort, page)
    )
    load = partial(_listed, p, sort)
    cards = "".join(_shared_cards(request, own, list(page), page.start_index(), load))
    return pagecache.freeze(pagecache.fill(html, cards=cards))


def _listing_skeleton(p: periods.Period, sort: str, page: Page) -> str:
    before, after = feed.neighbour_days(p.start, p.end)
    if p.kind == "date":  # the nearest days with papers; a week or month: the next one
        prev = periods.day(before) if before else None
        next_ = periods.day(after) if after else None
    else:
        prev = p.shifted(-1) if before else None
        next_ = p.shifted(1) if after else None
    context = {
        "period": p,
        "page": page,
        "sort": sort,
        "sorts": list(feed.SORTS),
        "prev": prev,
        "next": next_,
        "views": [p.containing(k) for k in ("date", "week", "month")],
        "quiet": None if page.paginator.count else _quiet(p),
    }
    return pagecache.skeleton("feed/listing.html", context)


@dataclass(frozen=True)
class _Viewer:
    """Whom a shared card is rendered for: only whether they are signed in, so that no card
    can hold anything of one member."""

    is_authenticated: bool


def _listed(p: periods.Period, sort: str, pks: list[int]) -> Iterable[Paper]:
    return feed.listing(p.start, p.end, sort).filter(pk__in=pks)


def _shared_cards(
    request: HttpRequest,
    own: _Own,
    rows: Sequence[tuple[Any, ...]],
    first: int,
    load: Callable[[list[int]], Iterable[Paper]],
    reasons: Mapping[int, str] | None = None,
) -> list[str]:
    """The cards of ``rows`` (``_CARD`` rows, in order, ranked from ``first``): each from the
    cache, in the variant of the viewer's own marks (the vote, the save), rendered where
    missing from the papers ``load`` gives (annotated with votes); with its rank, this
    address and, for "for you", its reason filled in."""
    pks = [row[0] for row in rows]
    member = request.user.is_authenticated
    slot = reasons is not None  # a card with a place for its reason is a variant of its own

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        pk = row[0]
        return ("card", *row, member, pk in own.voted, pk in own.saved, slot)

    found = pagecache.fragments({row[0]: key(row) for row in rows})
    if missing := [pk for pk in pks if pk not in found]:
        built = {}
        for paper in load(missing):
            context = {
                "paper": paper,
                "rank": pagecache.RANK,
                "reason": pagecache.REASON if slot else "",
                "voted": own.voted & {paper.pk},
                "saved": own.saved & {paper.pk},
                "user": _Viewer(member),
                "next": pagecache.NEXT,
                "csrf_token": pagecache.CSRF,
            }
            # Under what the card was rendered from, which may be newer than the listing's row.
            html = render_to_string("feed/_paper_card.html", context)
            built[key(_card_row(paper))] = found[paper.pk] = html
        pagecache.keep_fragments(built)
    here = escape(request.get_full_path())
    cards = []
    for rank, pk in enumerate(pks, first):
        if pk not in found:  # a paper hidden since the listing was read
            continue
        card = found[pk].replace(pagecache.RANK, str(rank)).replace(pagecache.NEXT, here)
        cards.append(card.replace(pagecache.REASON, reasons[pk]) if reasons else card)
    return cards


def _page(request: HttpRequest, rows: QuerySet[Paper] | Sequence[Any]) -> Page:
    """The ``?page=`` page of ``rows`` (of a query: counted and sliced by the database)."""
    return Paginator(rows, settings.DAILYPAPERS_PAGE_SIZE).get_page(request.GET.get("page"))


def _marks(request: HttpRequest, papers: Iterable[Paper]) -> dict[str, set[int]]:
    """The viewer's own marks on the cards: ``voted`` and ``saved`` paper ids."""
    pks = [p.pk for p in papers]
    return {
        "voted": community.voted_by(request.user, pks),
        "saved": library.saved_ids(request.user, pks),
    }


@dataclass(frozen=True)
class _Own:
    """A member's own marks and standing, for the cached pages: kept per member under the
    content stamp, which every table they are read from changes."""

    voted: frozenset[int] = frozenset()
    saved: frozenset[int] = frozenset()
    dismissed: frozenset[int] = frozenset()
    holding: dict[int, set[int]] = field(default_factory=dict)  # paper: their collections
    collections: list[Any] = field(default_factory=list)
    can_participate: bool = False


def _own(request: HttpRequest, content: int | None) -> _Own:
    user = request.user
    if not user.is_authenticated:
        return _Own()
    # Staff may take part unverified: a change of that shows at once too.
    return pagecache.cached(content, ("own", user.pk, user.is_staff), partial(_read_own, user))


def _read_own(user: User) -> _Own:
    collections = list(library.of(user))
    holding = library.holdings(user)
    saved = {c.pk for c in collections if c.is_saved}
    return _Own(
        voted=frozenset(community.upvoted(user)),
        saved=frozenset(pk for pk, where in holding.items() if where & saved),
        dismissed=frozenset(library.dismissed_ids(user)),
        holding=holding,
        collections=collections,
        can_participate=community.can_participate(user),
    )


def _quiet(p: periods.Period) -> feed.Quiet:
    if p.kind == "date":
        return feed.why_empty(p.start)
    return feed.Quiet(
        "Nothing featured", f"No paper was featured in {p.title}. Try a neighbouring {p.kind}."
    )


# --- new on arXiv -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    key: str  # the anchor: new, cross, unknown
    title: str
    papers: list[Paper]
    first_page: int  # where the section starts in the paged list


@dataclass(frozen=True)
class _Card:
    section: _Section
    paper: Paper
    featured_on: dt.date | None  # the first day it was featured
    can_feature: bool  # the viewer may submit it today


def new_on_arxiv(request: HttpRequest, category: str | None = None) -> HttpResponse:
    """A day's announcements (default: the latest) in the site's categories, or in one, split
    as arXiv's ``/list/<category>/new``: new submissions, then cross-lists, in arXiv's order."""
    if category is not None:
        if not categories.is_code(category):
            message = f"{category!r} is not an arXiv category (e.g. cs.CL, hep-th)."
            return error_page(request, 404, "No such category", message)
        if categories.canonical(category) != category:
            url = reverse("new_category", args=[categories.canonical(category)])
            query = request.GET.urlencode()
            return redirect(f"{url}?{query}" if query else url, permanent=True)
    site = [categories.canonical(c) for c in settings.DAILYPAPERS_CATEGORIES]
    text = request.GET.get("day")
    try:
        day = periods.parse("date", text).start if text else papers.latest_announced_day()
    except periods.BadPeriod as exc:
        return error_page(request, 400, "Not a day", str(exc))
    context: dict[str, object] = {"category": category, "site": site, "day": day}
    if day is None:
        return render(request, "feed/new.html", context)
    rows = library.without_dismissed(feed.with_votes(papers.announced_on(day)), request.user)
    # arXiv's order (by id) for readers, "for you" order for members with a model unless
    # they ask for arXiv's (?order=arxiv); the split into sections keeps the order.
    day_papers = list(rows)
    mine = None
    arxiv_order = request.user.is_authenticated and request.GET.get("order") == "arxiv"
    if request.user.is_authenticated and not arxiv_order:
        mine = recommend.reorder(request.user, [p.pk for p in day_papers])
    if mine is not None:
        by_pk = {p.pk: p for p in day_papers}
        day_papers = [by_pk[pk] for pk in mine]
    listing = papers.new_listing(day_papers, [category] if category else site)
    sections = _sections(listing)
    entries = [(s, p) for s in sections for p in s.papers]
    page = _page(request, entries)
    before, after = papers.announcement_days_around(day)
    tabs = [*site, category] if category and category not in site else site
    context |= {
        "period": periods.day(day),
        "counts": papers.category_counts(day_papers, tabs),
        "total": len(listing),
        "query": f"day={day.isoformat()}&" + ("order=arxiv&" if arxiv_order else ""),
        "for_you": mine is not None,
        "arxiv_order": arxiv_order,
        "sections": [s for s in sections if s.papers],
        "page": page,
        "cards": _cards(request, page),
        "rank_offset": page.start_index() - 1 if listing else 0,
        "prev": before,
        "next": after,
        "quiet": None if listing else _quiet_announcements(day, category or ", ".join(site)),
        **_marks(request, [p for _, p in page]),
    }
    return render(request, "feed/new.html", context)


def _sections(listing: papers.NewListing) -> list[_Section]:
    size = settings.DAILYPAPERS_PAGE_SIZE
    parts = [
        ("new", "New submissions", listing.new),
        ("cross", "Cross-lists from other categories", listing.cross),
        ("unknown", "Listed here, primary category not recorded", listing.unknown),
    ]
    sections, start = [], 0
    for key, title, rows in parts:
        sections.append(_Section(key, title, rows, start // size + 1))
        start += len(rows)
    return sections


def _cards(request: HttpRequest, page: Page) -> list[_Card]:
    """The page's papers with whether each was featured, and whether the viewer may feature
    it now (through the submit form)."""
    first = feed.first_featured_days([p.pk for _, p in page])
    may = community.can_participate(request.user)
    return [
        _Card(s, p, first.get(p.pk), may and p.pk not in first and community.recent_enough(p))
        for s, p in page
    ]


def _quiet_announcements(day: dt.date, where: str) -> feed.Quiet:
    if not feed.is_announcement_day(day):
        return feed.Quiet(
            "No announcement",
            "arXiv announces new papers Monday to Friday, except on holidays, so there was no "
            f"announcement on {day:%A, %-d %B %Y}. Try a neighbouring announcement day.",
        )
    return feed.Quiet(
        "Nothing announced here",
        f"This site has no paper in {where} first announced on {day:%A, %-d %B %Y}. "
        "Try a neighbouring announcement day.",
    )


# --- for you ----------------------------------------------------------------------------------

FOR_YOU_WINDOWS = (7, 30, 90)  # the windows offered as links; any 1..MAX_DAYS works
STARTERS = 10  # papers offered to a member with no signals to pick from


@login_required
def for_you(request: MemberRequest) -> HttpResponse:
    """Recent papers ranked for the member, each with its reason; a cold start without
    signals."""
    text = request.GET.get("days", str(recommend.DEFAULT_DAYS))
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= recommend.MAX_DAYS:
        message = f"days is a whole number from 1 to {recommend.MAX_DAYS}."
        return error_page(request, 400, "Not a window", message)
    days = int(text)
    ranking = recommend.ranking(request.user, days)
    page = _page(request, ranking.picks)
    picks = {pick.paper.pk: pick for pick in recommend.resolve(list(page))}
    # The cards come from the cache the listings fill; only the reasons are rendered here.
    reasons = {
        pk: render_to_string("recommend/_reason.html", {"pick": p}) for pk, p in picks.items()
    }
    rows = [_card_row(pick.paper) for pick in picks.values()]
    own = _own(request, pagecache.stamp())
    cards = _shared_cards(
        request, own, rows, page.start_index(), lambda pks: [picks[pk].paper for pk in pks], reasons
    )
    starters = _starters() if ranking.cold else []
    token = get_token(request)
    context = {
        "ranking": ranking,
        "page": page,
        "cards": [mark_safe(c.replace(pagecache.CSRF, token)) for c in cards],
        "starters": starters,
        "days": days,
        "query": f"days={days}&",
        "windows": FOR_YOU_WINDOWS,
        "categories": settings.DAILYPAPERS_CATEGORIES,
        **_marks(request, starters),
    }
    return render(request, "recommend/for_you.html", context)


def _starters() -> list[Paper]:
    """Papers to pick from: the week's most upvoted featured papers."""
    end = feed.latest_day() or timezone.localdate()
    return list(feed.listing(end - dt.timedelta(days=6), end, "votes")[:STARTERS])


# --- the paper page ---------------------------------------------------------------------------


def paper_detail(request: HttpRequest, raw: str) -> HttpResponse:
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
    content = pagecache.stamp()
    build = partial(_paper_page, request, ident, recent, content)
    if pagecache.shareable(request, content):
        key = ("paper", content, timezone.localdate(), request.get_full_path())
        response = pagecache.shared_page(request, key, build)
    else:
        response = pagecache.private_page(request, build)
    patch_vary_headers(response, ["Accept"])  # the same address serves Markdown
    return response


def _paper_page(
    request: HttpRequest, ident: arxiv_id.ArxivId, recent: bool, content: int | None, csrf: bytes
) -> bytes | HttpResponse:
    """The paper page as every viewer sees it (cached), with the viewer's own vote and save,
    collections and comments put into its holes; or an error page."""
    build = partial(_paper_skeleton, ident.id, recent)
    paper, html = pagecache.cached(content, ("paper", ident.id, recent), build) or (None, ())
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
    own = _own(request, content)
    viewer = {
        "paper": paper,
        "user": request.user,
        "request": request,
        "voted": own.voted & {paper.pk},
        "saved": own.saved & {paper.pk},
        "collections": own.collections,
        "holding": own.holding.get(paper.pk, set()),
        "next": paper.get_absolute_url(),
        "comments": pagecache.cached(
            content, ("comments", paper.pk), partial(community.comments_for, paper)
        ),
        "can_participate": own.can_participate and not paper.hidden,
        "csrf_token": pagecache.CSRF,
    }
    holes = {
        name: render_to_string(f"papers/_detail_{name}.html", viewer)
        for name in ("actions", "collections", "comments")
    }
    return pagecache.personal(request, html, csrf, **holes)


def _paper_skeleton(arxiv: str, recent: bool) -> tuple[Paper, pagecache.Frozen] | None:
    """The paper (with its votes) and its page as every viewer sees it; None for a paper
    the corpus lacks."""
    paper = feed.with_votes(Paper.objects.filter(arxiv_id=arxiv)).first()
    if paper is None:
        return None
    context = {
        "paper": paper,
        "featured": feed.featured_history(paper),
        "similar": search.similar_papers(paper, recent=recent),
        "similar_recent": recent,
    }
    return paper, pagecache.freeze(pagecache.skeleton("papers/detail.html", context))


# --- authors ----------------------------------------------------------------------------------


def author(request: HttpRequest, name: str) -> HttpResponse:
    """An author's papers here, newest first (the name as arXiv writes it, accents aside)."""
    found = search.by_author(name)
    if not found:
        return error_page(request, 404, "No papers", f"No paper here lists {name!r} as an author.")
    page = _page(request, found)
    context = {
        "name": name,
        "page": page,
        **_marks(request, page),
        "following": library.follows(request.user, "author", name),
    }
    return render(request, "papers/author.html", context)


# --- a member's own data ----------------------------------------------------------------------


@login_required
def my_data(request: MemberRequest) -> HttpResponse:
    """Everything the site holds about the member, as one JSON file."""
    user = request.user
    member = community.member_of(user)
    data = {
        "account": {
            "username": user.username,
            "email": user.email,
            "joined": user.date_joined.isoformat(),
            "email_verified": bool(member and member.email_verified),
        },
        "votes": community.votes_of(user),
        "comments": community.comments_by(user),
        "submissions": [
            {"paper": f.paper.arxiv_id, "day": f.day.isoformat()}
            for f in feed.submissions(user).select_related("paper")
        ],
        "library": library_formats.export(list(library.of(user))),
        "digest": digest.subscription_of(user),
        "follows": [{"kind": f.kind, "value": f.value} for f in library.follows_of(user)],
        "not_interested": library.dismissed(user),
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at.isoformat(), "prefix": t.prefix}
            for t in tokens.of(user)
        ],
    }
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="dailypapers-{user.username}.json"'
    return response


@login_required
def delete_account(request: MemberRequest) -> HttpResponse:
    """Delete the account after the password; the member chooses what becomes of comments."""
    error = None
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error = "That is not your password."
        else:
            keep = request.POST.get("comments") != "remove"
            community_services.delete_account(request.user, keep_comments=keep)
            logout(request)
            messages.success(request, "Your account is deleted.")
            return redirect("home")
    return render(request, "community/delete_account.html", {"error": error})
