"""Parameters of every address that takes any: the JSON API (Hugging Face's paths and /api/v1,
reads and writes), the pages and the feeds. Whatever the values, the answer is a page, or a 4xx
that says what was wrong (JSON ``{"error": ...}`` under /api/, the error page elsewhere), and
never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.api import tokens
from dailypapers.community import services as community
from dailypapers.library import services as library
from tests import factories
from tests.properties import DATABASE, rolled_back
from tests.properties.strategies import HOSTILE

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 9, 8)

# Values that broke something somewhere once, or are meant to: other scripts' digits, NUL,
# numbers past any column, out-of-range dates, markup.
ODD = st.sampled_from(
    ["", " ", "0", "-1", "²", "٣", "9" * 30, "1e3", "0x10", "\x00", "%00", "2025-13-45",
     "2025-W54", "٢٠٢٥-09-08", "1900-01-01", "9999-12-31", "../../etc/passwd", *HOSTILE]
)  # fmt: skip
wild = ODD | st.text(max_size=20) | st.integers().map(str)


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def valid_or(*values: object) -> st.SearchStrategy[str]:
    return st.sampled_from([str(v) for v in values]) | wild


VALUES = {
    "date": valid_or(DAY, "2025-09-09"),
    "day": valid_or(DAY),
    "week": valid_or("2025-W37"),
    "month": valid_or("2025-09"),
    "period": valid_or(DAY, "2025-W37", "2025-09"),
    "kind": valid_or("date", "week", "month"),
    "sort": valid_or("votes", "trending", "new", "publishedAt", "relevance", "date"),
    "order": valid_or("arxiv"),
    "submitter": valid_or("ada"),
    "p": valid_or(0, 1),
    "page": valid_or(1, 2),
    "limit": valid_or(1, 20, 100),
    "days": valid_or(7, 30),
    "recent": valid_or("true", "false"),
    "similar": valid_or("recent"),
    "cursor": st.builds(_cursor, st.sampled_from(["|1", "2025-09-01T00:00:00+00:00|3"]))
    | st.builds(lambda a, b: _cursor(f"{a}|{b}"), wild, wild)
    | wild,
    "id": valid_or("2509.00001", "2509.00001v2", "hep-th/9901001", "arXiv:2509.00001"),
    "q": valid_or("attention", 'author:ada cat:cs.LG after:2025-01 "deep learning" -survey'),
    "author": valid_or("Ada Lovelace"),
    "cat": valid_or("cs.LG"),
    "category": valid_or("cs.LG", "cs"),
    "after": valid_or("2025-01"),
    "before": valid_or("2026"),
    "username": valid_or("ada"),
    "slug": valid_or("reading"),
    "name": valid_or("Ada Lovelace"),
}

# (address, its query parameters); {name} in the address is a path parameter.
API = [
    ("/api/daily_papers", "date week month submitter sort p limit"),
    ("/api/papers/search", "q limit"),
    ("/api/papers", "cursor limit"),
    ("/api/papers/{id}", ""),
    ("/api/v1/papers", "cursor limit"),
    ("/api/v1/papers/{id}", ""),
    ("/api/v1/papers/{id}/similar", "limit recent"),
    ("/api/v1/papers/{id}/comments", ""),
    ("/api/v1/feed/latest", "sort page limit"),
    ("/api/v1/feed/{kind}/{period}", "sort page limit"),
    ("/api/v1/trending", "page limit"),
    ("/api/v1/search", "q sort page limit"),
    ("/api/v1/collections/{username}/{slug}", "page limit"),
    ("/api/v1/me/for-you", "days limit"),
]
PAGES = [
    ("/", ""),
    ("/papers/date/{date}", "sort page"),
    ("/papers/week/{week}", "sort page"),
    ("/papers/month/{month}", "sort page"),
    ("/papers/{id}", "similar"),
    ("/papers/{id}.md", ""),
    ("/trending", "page"),
    ("/search", "q sort page author cat after before"),
    ("/authors/{name}", "page"),
    ("/new", "day order"),
    ("/new/{category}", "day order page"),
    ("/for-you", "days page"),
    ("/members/{username}/collections/{slug}", ""),
    ("/feeds/day/{date}.rss", ""),
    ("/feeds/category/{category}.atom", ""),
    ("/feeds/search.rss", "q sort"),
    ("/feeds/members/{username}/collections/{slug}.rss", ""),
]


@dataclass
class Site:
    client: Client  # signed in as ada
    token: str  # ada's API token
    paper: int  # a paper's primary key


@pytest.fixture
def site(settings) -> Site:
    """A few papers featured, a comment, a public collection; a signed-in member's client
    and their API token."""
    settings.RATELIMIT_ENABLE = False  # thousands of requests a minute, on purpose
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    ada = factories.member("ada")
    for n in (1, 2):
        paper = factories.paper(f"2509.0000{n}", version=2, categories=["cs.LG"])
        factories.feature(paper, DAY + dt.timedelta(days=n - 1), upvotes=n)
    factories.paper("hep-th/9901001", categories=["hep-th"], primary_category="hep-th")
    community.add_comment(ada, paper, "A comment.")
    reading = library.create(ada, "Reading", public=True)
    library.add(reading, paper)
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    return Site(client, tokens.create(ada, "properties")[1], paper.pk)


@st.composite
def requests(draw: st.DrawFn, address: str, names: str) -> tuple[str, dict[str, str]]:
    """The address with its path parameters filled in, and some of its query parameters."""
    path = address
    while "{" in path:
        name = path[path.index("{") + 1 : path.index("}")]
        path = path.replace(f"{{{name}}}", quote(draw(VALUES[name]), safe="/"), 1)
    query = {n: draw(VALUES[n]) for n in names.split() if draw(st.booleans())}
    return path, query


def _answers(client: Client, path: str, query: dict[str, str], **headers: str):
    response = client.get(path, query, **headers)
    assert response.status_code < 500, (path, query, response.content[:300])
    return response


@pytest.mark.parametrize(("address", "names"), API, ids=[a for a, _ in API])
@DATABASE
@given(data=st.data())
def test_api_reads_answer_json_or_a_4xx_that_says_why(
    site: Site, address: str, names: str, data: st.DataObject
) -> None:
    client, token = site.client, site.token
    path, query = data.draw(requests(address, names))
    response = _answers(client, path, query, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads(response.content)
    if response.status_code >= 400:
        assert isinstance(body["error"], str) and body["error"], body


@pytest.mark.parametrize(("address", "names"), PAGES, ids=[a for a, _ in PAGES])
@DATABASE
@given(data=st.data())
def test_pages_and_feeds_answer_or_say_why(
    site: Site, address: str, names: str, data: st.DataObject
) -> None:
    client = site.client
    path, query = data.draw(requests(address, names))
    response = _answers(client, path, query, follow=True)
    if response.status_code >= 400:
        assert b"<h1>" in response.content and b"Traceback" not in response.content


@pytest.mark.parametrize("when", [{"days": "²"}, {"days": "٣"}])
def test_the_for_you_window_in_other_digits_is_a_400(site: Site, when) -> None:
    # str.isdigit() took them, int() did not: a 500
    assert site.client.get("/for-you", when).status_code == 400


@pytest.mark.parametrize("chosen", ["²", "٣"])
def test_collections_ticked_in_other_digits_are_ignored(site: Site, chosen) -> None:
    assert site.client.post(f"/collect/{site.paper}", {"collection": chosen}).status_code == 302


@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("put", "/api/v1/papers//vote"),
        ("post", "/api/v1/papers/2509.00001"),
        ("delete", "/api/papers"),
    ],
)
def test_a_method_an_address_does_not_take_is_a_json_405(site: Site, method, address) -> None:
    response = getattr(site.client, method)(address)  # django-ninja answered in plain text
    assert response.status_code == 405 and response["Allow"]
    assert "not allowed" in response.json()["error"]


WRITES = [
    ("put", "/api/v1/papers/{id}/vote", None),
    ("delete", "/api/v1/papers/{id}/vote", None),
    ("post", "/api/v1/papers/{id}/comments", "comment"),
    ("post", "/api/v1/submissions", "submission"),
]
comment_bodies = st.fixed_dictionaries(
    {"body": wild}, optional={"parent": st.integers() | wild | st.none()}
)
bodies = {
    "comment": comment_bodies | st.dictionaries(st.text(max_size=5), wild, max_size=2),
    "submission": st.fixed_dictionaries({"paper": VALUES["id"]})
    | st.dictionaries(st.text(max_size=5), wild, max_size=2),
}


@pytest.mark.parametrize(
    ("method", "address", "body"), WRITES, ids=[f"{m} {a}" for m, a, _ in WRITES]
)
@DATABASE
@given(data=st.data(), raw=st.none() | st.binary(max_size=20))
@example(data=None, raw=b'{"body": "x", "parent": 99999999999999999999}')  # past any bigint
def test_api_writes_answer_json_or_a_4xx_that_says_why(
    site: Site,
    settings,
    method: str,
    address: str,
    body: str | None,
    data: st.DataObject | None,
    raw: bytes | None,
) -> None:
    settings.DAILYPAPERS_ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # unknown ids: offline
    settings.DAILYPAPERS_ARXIV_MAX_ATTEMPTS = 1
    client, token = site.client, site.token
    path, _ = data.draw(requests(address, "")) if data else (address.format(id="2509.00001"), {})
    if raw is None and body and data:
        raw = json.dumps(data.draw(bodies[body])).encode()
    with rolled_back():
        response = getattr(client, method)(
            path, raw or b"", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code < 500, (path, raw, response.content[:300])
        answer = json.loads(response.content)
        if response.status_code >= 400:
            assert isinstance(answer["error"], str) and answer["error"], answer
