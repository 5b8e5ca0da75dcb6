"""RSS 2.0 and Atom feeds (Django's syndication framework): the latest or a given day, trending,
a category's newest papers and a search. Entries carry the paper's arXiv address as a stable
guid, the abstract, authors, categories and the arXiv and PDF links, TeX turned into Unicode
(feed readers do not render it)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, format_html, format_html_join

from dailypapers.feed import paging, periods
from dailypapers.feed import selectors as feed
from dailypapers.library import selectors as library
from dailypapers.library.models import Collection
from dailypapers.papers import categories, tex
from dailypapers.papers.arxiv_id import ArxivId
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search

# Characters XML 1.0 cannot hold (Django's feed writer refuses them).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


class _PaperFeed(Feed):
    """What every feed shares: one entry per paper. Subclasses say which papers (``items``)
    and name the feed (``title``, ``link``, ``description``)."""

    feed_type: Any = Rss201rev2Feed
    feed_kind = "rss"

    def item_title(self, item: Paper) -> str:
        return _xml(tex.to_unicode(item.title))

    def item_link(self, item: Paper) -> str:
        return settings.DAILYPAPERS_SITE_URL + item.get_absolute_url()

    def item_guid(self, item: Paper) -> str:
        # Versionless: a new arXiv version is the same entry, not a new one.
        return ArxivId(item.arxiv_id).abs_url

    item_guid_is_permalink = False

    def item_description(self, item: Paper) -> str:
        authors = ", ".join(item.authors)
        links = format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            [(item.abs_url, "arXiv"), (item.pdf_url, "PDF")]
            + ([(item.code_url, "Code")] if item.code_url else [])
            + ([(item.project_url, "Project page")] if item.project_url else []),
        )
        summary = (
            format_html("<p><strong>AI summary (Hugging Face):</strong> {}</p>", item.ai_summary)
            if item.ai_summary
            else ""
        )
        html = format_html(
            "<p><em>{}</em></p>{}<p>{}</p><p>{}</p>",
            authors,
            summary,
            tex.to_unicode(item.abstract),
            links,
        )
        return _xml(html)

    def _described(self, text: str) -> str:
        """A member's text in the feed's description: readers show an RSS channel's as HTML,
        an Atom subtitle as text."""
        return _xml(escape(text) if self.feed_kind == "rss" else text)

    def item_author_name(self, item: Paper) -> str:
        return _xml(", ".join(item.authors))

    def item_categories(self, item: Paper) -> list[str]:
        return [_xml(c) for c in item.categories]

    def item_pubdate(self, item: Paper) -> dt.datetime | None:
        featured = getattr(item, "last_featured_at", None)
        return featured or item.published

    def item_updateddate(self, item: Paper) -> dt.datetime | None:
        return item.updated or item.published

    def feed_url(self, obj: Any) -> str:
        return settings.DAILYPAPERS_SITE_URL + self.address(obj)

    def address(self, obj: Any) -> str:
        """This feed's path for ``obj`` in its own format."""
        raise NotImplementedError


def _atom(feed_class: type[_PaperFeed]) -> type[_PaperFeed]:
    """The Atom twin of an RSS feed."""
    return type(
        feed_class.__name__ + "Atom",
        (feed_class,),
        {"feed_type": Atom1Feed, "feed_kind": "atom", "subtitle": feed_class.description},
    )


class DayFeed(_PaperFeed):
    """A day's featured papers by votes: the latest day by default."""

    description = "Papers featured by the community, by votes."

    def get_object(self, request: HttpRequest, date: str | None = None) -> periods.Period:
        if date is None:
            return periods.day(feed.latest_day() or timezone.localdate())
        try:
            return periods.parse("date", date)
        except periods.BadPeriod as exc:
            raise Http404(str(exc)) from None

    def title(self, obj: periods.Period) -> str:
        return f"dailypapers · {obj.title}"

    def link(self, obj: periods.Period) -> str:
        return settings.DAILYPAPERS_SITE_URL + obj.url

    def address(self, obj: periods.Period) -> str:
        return f"/feeds/day/{obj.slug}.{self.feed_kind}"

    def items(self, obj: periods.Period) -> list[Paper]:
        return list(feed.listing(obj.start, obj.end, "votes")[: paging.DAY_FEED_ITEMS])


class TrendingFeed(_PaperFeed):
    title = "dailypapers · Trending"
    description = f"The last {feed.TRENDING_DAYS} days' featured papers by the trending score."

    def link(self) -> str:
        return settings.DAILYPAPERS_SITE_URL + "/trending"

    def address(self, obj: Any) -> str:
        return f"/feeds/trending.{self.feed_kind}"

    def items(self) -> list[Paper]:
        start, end = feed.trending_window()
        return list(feed.listing(start, end, "trending")[: paging.FEED_ITEMS])


class CategoryFeed(_PaperFeed):
    """A category's newest papers, cross-lists included."""

    def get_object(self, request: HttpRequest, category: str) -> str:
        if not categories.is_code(category):
            raise Http404(f"{category!r} is not an arXiv category such as cs.LG.")
        return category

    def title(self, obj: str) -> str:
        name = categories.NAMES.get(obj)
        return f"dailypapers · {obj}" + (f" ({name})" if name else "")

    def description(self, obj: str) -> str:
        return f"The newest papers in {obj} on this site, cross-lists included."

    def link(self, obj: str) -> str:
        return settings.DAILYPAPERS_SITE_URL + "/search?" + urlencode({"q": f"cat:{obj}"})

    def address(self, obj: str) -> str:
        return f"/feeds/category/{obj}.{self.feed_kind}"

    def items(self, obj: str) -> list[Paper]:
        return search.search(f"cat:{obj}", sort="date").papers(0, paging.FEED_ITEMS)


class SearchFeed(_PaperFeed):
    """A search's papers, newest first (``sort=relevance`` for the search page's order)."""

    def get_object(self, request: HttpRequest) -> tuple[str, str]:
        q = request.GET.get("q", "").strip()
        if not q or _NOT_XML.search(q):
            raise Http404("A search feed needs ?q=, without control characters.")
        # One over search's length: search.search refuses it, a 400 that says so.
        sort = request.GET.get("sort", "date")
        return q, sort if sort in search.SORTS else "date"

    def title(self, obj: tuple[str, str]) -> str:
        return f"dailypapers · search: {obj[0]}"

    def description(self, obj: tuple[str, str]) -> str:
        order = "newest" if obj[1] == "date" else "best"
        return self._described(f"Papers for the search {obj[0]!r}, {order} first.")

    def link(self, obj: tuple[str, str]) -> str:
        return settings.DAILYPAPERS_SITE_URL + "/search?" + urlencode({"q": obj[0], "sort": obj[1]})

    def address(self, obj: tuple[str, str]) -> str:
        return f"/feeds/search.{self.feed_kind}?" + urlencode({"q": obj[0], "sort": obj[1]})

    def items(self, obj: tuple[str, str]) -> list[Paper]:
        return search.search(obj[0], sort=obj[1]).papers(0, paging.FEED_ITEMS)


class CollectionFeed(_PaperFeed):
    """A member's public collection, the papers added last first."""

    def get_object(self, request: HttpRequest, username: str, slug: str) -> Collection:
        found = library.public(username, slug)
        if found is None:
            raise Http404("No such public collection.")
        return found

    def title(self, obj: Collection) -> str:
        return _xml(f"dailypapers · {obj.name} by {obj.owner.username}")

    def description(self, obj: Collection) -> str:
        return self._described(obj.description or f"A collection by {obj.owner.username}.")

    def link(self, obj: Collection) -> str:
        return settings.DAILYPAPERS_SITE_URL + obj.public_url

    def address(self, obj: Collection) -> str:
        return f"/feeds{obj.public_url}.{self.feed_kind}"

    def items(self, obj: Collection) -> list[Paper]:
        return list(library.papers_in(obj)[: paging.FEED_ITEMS])

    def item_pubdate(self, item: Paper) -> dt.datetime | None:
        return getattr(item, "added_at", None) or item.published


DayFeedAtom = _atom(DayFeed)
CollectionFeedAtom = _atom(CollectionFeed)
TrendingFeedAtom = _atom(TrendingFeed)
CategoryFeedAtom = _atom(CategoryFeed)
SearchFeedAtom = _atom(SearchFeed)
