"""Hostile markup in every field a feed or a member controls shows as text everywhere: a paper
imported with script tags, event handlers, ``javascript:`` links, ``</textarea>``, template
syntax and TeX links in its title, abstract, authors, comments, journal reference, DOI and
links; comments, a collection and a display name written the same way; a search for it. Every
page, feed, API answer and email that shows them is checked for live markup, and KaTeX, which
renders formulas in the reader's browser, is checked not to make a link of ``\\href``."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.api import mcp_server
from dailypapers.community import markdown
from dailypapers.community import services as community
from dailypapers.community.models import Comment
from dailypapers.digest.models import Subscriber
from dailypapers.digest.send import send_digests
from dailypapers.feed import periods
from dailypapers.ingest import dumps
from dailypapers.library import services as library
from dailypapers.library.models import Collection
from dailypapers.papers.models import Paper
from dailypapers.search import keyword_index
from dailypapers.search.templatetags.search import highlight
from tests import factories
from tests.properties import PROPERTIES
from tests.properties.strategies import HOSTILE

DAY = dt.date(2025, 9, 8)  # a Monday: a digest goes out for it
IDENT = "2509.00001"
EVERY = " ".join(HOSTILE)  # every attack, in one field
SCRIPT_LINK = next(p for p in HOSTILE if p.startswith("javascript:"))
OWN_SCRIPTS = ("katex.min.js", "auto-render.min.js", "htmx.min.js", "site.js")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}
# Written raw, any of these would be live markup in an HTML page.
LIVE = (
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "</textarea><script>",
    "</title><script>",
    '<a href="javascript:',
)


class _Checker(HTMLParser):
    """Collects what in an HTML document could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            scheme = (value or "").strip().lower().split(":", 1)[0]
            if (
                name in URL_ATTRIBUTES
                and ":" in (value or "")
                and scheme in {"javascript", "data", "vbscript"}
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "svg" or (
            tag in {"img", "iframe", "object", "embed"} and values.get("src") == "x"
        ):
            self.problems.append(f"<{tag}> from the text")
        if values.get("srcdoc"):  # a document of its own (the digest preview's email)
            self.problems += [f"in srcdoc: {p}" for p in live_markup(values["srcdoc"] or "")]
        if tag == "script":
            src = values.get("src") or ""
            if not src.startswith("/static/") or not src.endswith(OWN_SCRIPTS):
                self.problems.append(f"<script src={src!r}>")
            self._in_script = True

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:40]!r}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"


def live_markup(html: str) -> list[str]:
    """What in ``html`` could run script: raw payloads, event handlers, script URLs, scripts
    that are not the site's own."""
    checker = _Checker()
    checker.feed(html)
    return [f"raw {s!r}" for s in LIVE if s in html] + checker.problems


# --- the two places that turn text into markup on purpose ------------------------------------

markdownish = st.lists(
    st.sampled_from(
        [*HOSTILE, "*", "_", "`", "[", "](", ")", "<", ">", "&", "\n", "\n\n", "> ", "- "]
    )
    | st.text(max_size=8),
    max_size=12,
).map("".join)


@PROPERTIES
@given(markdownish)
def test_a_comment_renders_to_markup_that_runs_nothing(body: str) -> None:
    assert live_markup(markdown.render(body)) == []


@PROPERTIES
@given(st.sampled_from(HOSTILE) | st.text(max_size=40), st.lists(st.text(max_size=6), max_size=3))
@example("&amp; <mark>", ["amp", "mark"])  # the highlight's own tag, and entity names
def test_a_highlighted_text_is_the_text_with_marks(text: str, terms: list[str]) -> None:
    marked = highlight(text, terms)
    assert live_markup(marked) == []
    assert html.unescape(re.sub(r"</?mark>", "", marked)) == text


@dataclass
class Site:
    paper: Paper
    mallory: User  # a member whose display name is an attack too
    client: Client  # signed in as mallory
    collection: Collection
    comment: Comment


def _import_hostile_paper(tmp_path: Path) -> Paper:
    """The paper, through the real importers: arXiv's JSON lines, then Hugging Face's."""
    record = {
        "id": IDENT,
        "title": EVERY,
        "abstract": EVERY,
        "comments": EVERY,
        "journal-ref": EVERY,
        "doi": '10.1000/"><img src=x onerror=alert(1)>',
        "license": "javascript:alert(1)",
        "categories": "cs.LG",
        "authors_parsed": [[payload, "Eve", ""] for payload in HOSTILE],
        "versions": [{"version": "v1", "created": "Mon, 1 Sep 2025 10:00:00 GMT"}],
    }
    item = {
        "paper": {
            "id": IDENT,
            "title": EVERY,
            "authors": [{"name": f"Eve {payload}"} for payload in HOSTILE],
            "githubRepo": "javascript:alert(1)",
            "projectPage": 'https://example.org/"><script>alert(1)</script>',
            "upvotes": 3,
        },
        "publishedAt": f"{DAY}T08:00:00.000Z",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    (tmp_path / "h.json").write_text(json.dumps([item]))
    for fmt, name in (("arxiv", "a.jsonl"), ("hf-daily", "h.json")):
        report = dumps.import_dumps(fmt, [tmp_path / name], workers=1)
        assert report.errors == [], report.errors
    return Paper.objects.get(arxiv_id=IDENT)


@pytest.fixture
def site(db, tmp_path: Path, settings) -> Site:
    settings.RATELIMIT_ENABLE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    paper = _import_hostile_paper(tmp_path)
    # Sign-up allows letters, digits and ._- only; written straight to the table, the name
    # tests the templates, not the form.
    mallory = factories.member('"><img src=x onerror=alert(1)>')
    first = None
    for body in HOSTILE:
        c = community.add_comment(mallory, paper, body, first)
        first = first or c
    collection = library.create(mallory, EVERY[:100], EVERY[:2000], public=True)
    library.add(collection, paper)
    Subscriber.objects.create(
        email="reader@example.org",
        frequency="daily",
        confirmed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    keyword_index.sync()  # what the worker does after an import, for the search pages
    client = Client(HTTP_HOST="localhost")
    client.force_login(mallory)
    assert first is not None
    return Site(paper, mallory, client, collection, first)


def _pages(site: Site) -> dict[str, str]:
    """Every kind of page that shows the planted text, by what it is."""
    name = quote(site.mallory.username, safe="")
    shared = f"/members/{name}/collections/{site.collection.slug}"
    return {
        "paper page and comment thread": f"/papers/{IDENT}",
        "day page": f"/papers/date/{DAY}",
        "week page": f"/papers/week/{periods.day(DAY).containing('week').slug}",
        "trending": "/trending",
        "search results": "/search?q=alert+script",
        "search echoing the query": "/search?" + f"q={quote(EVERY)}",
        # PostgreSQL's text search reads tags and dotted names (<b>, request.META) as tokens
        # of their own: those authors it does not find by their words.
        "author page": "/authors/" + quote(f"Eve {SCRIPT_LINK}", safe=""),
        "member profile": f"/members/{name}",
        "public collection": shared,
        "own collection": f"/library/{site.collection.pk}",
        "library": "/library",
        "comment edit form (textarea)": f"/comments/{site.comment.pk}/edit",
    }


@pytest.mark.django_db
def test_every_page_shows_hostile_text_as_text(site: Site, clock) -> None:
    clock.set(dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC))
    problems = {}
    operator = Client(HTTP_HOST="localhost")
    operator.force_login(User.objects.create_superuser("op", "op@example.org", "x"))
    pages = [(site.client, what, address) for what, address in _pages(site).items()]
    for client, what, address in [*pages, (operator, "digest preview", "/digest/preview")]:
        response = client.get(address, follow=True)
        assert response.status_code == 200, (what, address, response.status_code)
        html = response.content.decode()
        problems[what] = live_markup(html)
        if what.startswith("paper page"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
            assert "{{ request.META }}{% debug %}" in html  # not a template
    assert {what: found for what, found in problems.items() if found} == {}


FEEDS = {
    "day (RSS)": f"/feeds/day/{DAY}.rss",
    "day (Atom)": f"/feeds/day/{DAY}.atom",
    "category": "/feeds/category/cs.LG.rss",
    "search": "/feeds/search.atom?q=alert",
}


@pytest.mark.django_db
def test_feeds_carry_hostile_text_as_text(site: Site) -> None:
    name = quote(site.mallory.username, safe="")
    feeds = {**FEEDS, "collection": f"/feeds/members/{name}/collections/{site.collection.slug}.rss"}
    for what, address in feeds.items():
        body = site.client.get(address).content
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (what, parsed.bozo_exception)
        [entry] = [e for e in parsed.entries if IDENT in e.link]
        assert entry.title == site.paper.title, what  # the text, not markup and not re-escaped
        # Descriptions are HTML for the reader's feed reader: escaped text inside.
        for element in ET.fromstring(body).iter():
            if element.tag.rpartition("}")[2] in {"description", "summary", "content"}:
                assert live_markup(element.text or "") == [], (what, element.text)


@pytest.mark.django_db
def test_the_api_and_mcp_give_the_text_exactly_as_json(site: Site) -> None:
    client, paper = site.client, site.paper
    answers = {
        "paper": client.get(f"/api/v1/papers/{IDENT}"),
        "hf paper": client.get(f"/api/papers/{IDENT}"),
        "hf daily": client.get("/api/daily_papers", {"date": str(DAY)}),
        "comments": client.get(f"/api/v1/papers/{IDENT}/comments"),
        "collection": client.get(
            f"/api/v1/collections/{quote(site.mallory.username, safe='')}/{site.collection.slug}"
        ),
        "my data": client.get("/accounts/data"),
    }
    for what, response in answers.items():
        assert response["Content-Type"].startswith("application/json"), what
    assert answers["paper"].json()["title"] == paper.title == EVERY
    assert answers["paper"].json()["authors"] == paper.authors
    assert answers["hf paper"].json()["summary"] == paper.abstract
    assert answers["hf daily"].json()[0]["title"] == EVERY
    assert [c["body"] for c in answers["comments"].json()[:1]] == [HOSTILE[0]]
    assert answers["collection"].json()["description"] == site.collection.description
    assert answers["my data"].json()["account"]["username"] == site.mallory.username
    assert mcp_server.paper_details.__wrapped__(IDENT)["abstract"] == EVERY  # type: ignore[attr-defined]
    markdown = client.get(f"/papers/{IDENT}.md")  # for programs, never rendered by the browser
    assert markdown["Content-Type"].startswith("text/markdown")
    assert markdown["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_digest_email_shows_hostile_text_as_text(site: Site, settings) -> None:
    settings.DAILYPAPERS_SITE_URL = "https://papers.example.org"
    send_digests("daily", periods.day(DAY))
    [message] = mail.outbox
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert live_markup(str(html)) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(html)
    assert "<script>alert(1)</script>" in message.body  # plain text is shown as it is


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_katex_makes_no_link_of_a_tex_href(browser, live_server) -> None:
    """KaTeX renders \\href and \\url only when trusted, and site.js does not trust it."""
    factories.paper(IDENT, title=r"$\href{javascript:alert(1)}{x}$", abstract=EVERY)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/papers/{IDENT}")
    page.wait_for_load_state("networkidle")
    assert page.locator(".katex").count() > 0  # the formulas went through KaTeX
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert not [link for link in links if link.lower().startswith("javascript")]
    assert dialogs == [] and page.locator("img[src='x'], svg[onload]").count() == 0
