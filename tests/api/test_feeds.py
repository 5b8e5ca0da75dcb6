"""RSS and Atom, read by feedparser (what most readers are built on) from a live site: every
feed parses without a bozo flag, has the expected entries with stable guids, authors,
categories, links, and TeX as Unicode; pages link their feeds."""

from __future__ import annotations

import re

import feedparser
import httpx
import pytest

from tests.api.conftest import MONDAY

FEEDS = {
    "/feeds/day": ["1312.05602"],  # the latest day
    f"/feeds/day/{MONDAY.isoformat()}": ["1512.03385", "1706.03762"],  # by votes
    "/feeds/category/cs.LG": ["1706.03762", "1312.05602"],  # cross-lists too, newest first
    "/feeds/search?q=deep+learning": ["1512.03385", "1312.05602"],
}


def read(url: str) -> feedparser.FeedParserDict:
    response = httpx.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return parsed


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_every_feed_parses_with_the_expected_entries(site, live_server, kind, clock):
    # At noon on Wednesday 10 September: (votes + 1) / (hours + 2)^1.5 puts 11 votes of
    # Monday 08:00 over 6 of Monday 09:00 over 2 of Tuesday 07:00.
    feeds = {**FEEDS, "/feeds/trending": ["1512.03385", "1706.03762", "1312.05602"]}
    for path, expected in feeds.items():
        base, _, query = path.partition("?")
        url = f"{live_server.url}{base}.{kind}" + (f"?{query}" if query else "")
        parsed = read(url)
        ids = [e.id.removeprefix("https://arxiv.org/abs/") for e in parsed.entries]
        assert ids == expected, url
        assert parsed.feed.title.startswith("dailypapers")


def test_an_entry_carries_abstract_authors_categories_and_links(site, live_server):
    for kind in ("rss", "atom"):
        parsed = read(f"{live_server.url}/feeds/day/{MONDAY.isoformat()}.{kind}")
        entry = parsed.entries[0]
        assert entry.title == "Deep Residual Learning for Image Recognition"
        assert entry.link.endswith("/papers/1512.03385")
        assert entry.id == "https://arxiv.org/abs/1512.03385"  # the same in every feed
        assert "Kaiming He" in entry.author
        assert [t.term for t in entry.tags] == ["cs.CV"]
        assert "https://arxiv.org/pdf/1512.03385" in entry.summary
        # TeX as Unicode, and a percent sign is not a TeX comment.
        assert "𝒪(L) layers" in entry.summary and "50% deeper" in entry.summary
        assert "$" not in entry.summary
        assert "AI summary (Hugging Face):</strong> Residual connections" in entry.summary
        assert "https://github.com/KaimingHe/deep-residual-networks" in entry.summary


def test_pages_link_their_feeds(site, live_server):
    pages = {
        f"/papers/date/{MONDAY.isoformat()}": f"/feeds/day/{MONDAY.isoformat()}.rss",
        "/trending": "/feeds/trending.rss",
        "/search?q=residual": "/feeds/search.rss?q=residual",
        "/papers/1512.03385": "/feeds/category/cs.CV.rss",
    }
    for page, feed in pages.items():
        html = httpx.get(live_server.url + page).text
        links = re.findall(
            r'<link rel="alternate" type="application/(?:rss|atom)\+xml"[^>]*href="([^"]+)"', html
        )
        assert feed in links, (page, links)
        read(live_server.url + links[0])


def test_bad_feed_addresses_are_404s(site, live_server):
    for path in (
        "/feeds/day/2025-02-30.rss",
        "/feeds/category/<script>.rss",
        "/feeds/search.rss",
        "/feeds/search.rss?q=a%00b",  # XML cannot hold control characters
        "/feeds/search.atom?q=a%01b",
    ):
        assert httpx.get(live_server.url + path).status_code == 404, path


def test_feeds_and_markdown_are_rate_limited_like_the_api(site, live_server, settings):
    settings.DAILYPAPERS_API_RATE = "2/d"  # a window that does not end during the test
    for path in ("/feeds/search.rss?q=deep", "/papers/1512.03385.md"):
        codes = [httpx.get(live_server.url + path).status_code for _ in range(3)]
        assert codes == [200, 200, 429], path
