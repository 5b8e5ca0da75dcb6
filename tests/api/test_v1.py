"""``/api/v1``: reads of papers, feeds, search and comments; writes with personal tokens under
the site's rules; errors as JSON; conditional GET, CORS and rate limits."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from dailypapers.api import tokens
from dailypapers.community import services as community
from dailypapers.community.models import Comment, Member, Vote
from dailypapers.feed.models import Featured
from tests import factories
from tests.api.conftest import MONDAY
from tests.arxiv_replay import ArxivReplay
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="localhost")


def bearer(user) -> dict[str, str]:
    _, raw = tokens.create(user, "test script")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_paper_with_its_votes_featurings_and_links(site, client):
    r = client.get("/api/v1/papers/1706.03762v2")  # a version or a link names the paper too
    assert r.status_code == 200
    p = r.json()
    assert p["id"] == "1706.03762"
    assert p["votes"] == {"total": 5, "members": 2, "imported": 3}
    assert p["links"]["pdf"] == "https://arxiv.org/pdf/1706.03762"
    assert p["links"]["page"].endswith("/papers/1706.03762")
    assert [f["day"] for f in p["featured"]] == [MONDAY.isoformat()]
    assert client.get("/api/v1/papers/hep-th/9901001").json()["title"] == "An old-style identifier"
    assert p["hugging_face"] == {
        "ai_summary": "",
        "ai_keywords": [],
        "github_stars": None,
        "organization": None,
    }
    hf = client.get("/api/v1/papers/1512.03385").json()["hugging_face"]
    assert hf == {
        "ai_summary": "Residual connections let very deep networks train.",
        "ai_keywords": ["residual learning", "ImageNet"],
        "github_stars": 6700,
        "organization": {"name": "msra", "fullname": "Microsoft Research Asia"},
    }


def test_errors_are_json_with_a_readable_message(site, client):
    cases = {
        "/api/v1/papers/2501.99999": (404, "not in this corpus"),
        "/api/v1/papers/not-an-id": (404, "Not an arXiv id"),
        "/api/v1/feed/date/2025-02-30": (400, "YYYY-MM-DD"),
        "/api/v1/feed/year/2025": (400, "kind"),
        "/api/v1/search?q=": (400, "q"),
        "/api/v1/search?q=deep&limit=1000": (400, "limit"),
        "/api/v1/feed/latest?page=99": (404, "no page 99"),
        "/api/v1/nothing/here": (404, "No API endpoint"),
    }
    for url, (status, words) in cases.items():
        r = client.get(url)
        assert (url, r.status_code) == (url, status)
        assert r["Content-Type"] == "application/json; charset=utf-8"
        assert words.lower() in r.json()["error"].lower(), (url, r.json())


def test_feeds_of_a_period_page_in_sql_order(site, client):
    week = client.get("/api/v1/feed/week/2025-W37?sort=votes&limit=2").json()
    assert week["count"] == 3
    assert [p["id"] for p in week["results"]] == ["1512.03385", "1706.03762"]
    assert week["next"].endswith("page=2")
    rest = client.get(week["next"]).json()
    assert [p["id"] for p in rest["results"]] == ["1312.05602"] and rest["next"] is None
    assert [p["id"] for p in client.get("/api/v1/feed/latest").json()["results"]] == ["1312.05602"]


def test_search_similar_comments_and_categories(site, client):
    found = client.get("/api/v1/search", {"q": "residual learning cat:cs.CV"}).json()
    assert found["results"][0]["id"] == "1512.03385" and found["count"] == 1
    assert found["semantic"] is True

    similar = client.get("/api/v1/papers/1512.03385/similar?limit=2").json()
    assert len(similar) == 2 and "1512.03385" not in {p["id"] for p in similar}

    thread = client.get("/api/v1/papers/1512.03385/comments").json()
    assert [(c["author"], c["body"]) for c in thread] == [("ada", "Still the baseline.")]

    codes = {c["code"]: c for c in client.get("/api/v1/categories").json()}
    assert codes["cs.CV"] == {"code": "cs.CV", "name": "Computer Vision", "papers": 1}


def test_writes_need_a_token_of_a_verified_member(site, client):
    assert client.put("/api/v1/papers/1512.03385/vote").status_code == 401
    r = client.put("/api/v1/papers/1512.03385/vote", HTTP_AUTHORIZATION="Bearer dp_made-up")
    assert r.status_code == 401 and "token" in r.json()["error"]
    unverified = factories.member("newcomer")
    auth = bearer(unverified)  # made before tokens needed a verified address
    Member.objects.filter(user=unverified).update(email_verified=False)
    r = client.put("/api/v1/papers/1512.03385/vote", **auth)
    assert r.status_code == 403 and "Verify" in r.json()["error"]
    assert not Vote.objects.filter(user=unverified).exists()


def test_vote_comment_and_submit_with_a_token(site, client, clock):
    grace = factories.member("grace")
    auth = bearer(grace)
    assert client.get("/api/v1/me", **auth).json() == {"username": "grace", "can_participate": True}

    r = client.put("/api/v1/papers/1512.03385/vote", **auth)
    assert r.json() == {"voted": True, "votes": 11}
    assert client.put("/api/v1/papers/1512.03385/vote", **auth).json()["votes"] == 11  # once
    assert client.delete("/api/v1/papers/1512.03385/vote", **auth).json() == {
        "voted": False,
        "votes": 10,
    }

    r = client.post(
        "/api/v1/papers/1512.03385/comments",
        {"body": "Read it again today."},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["author"] == "grace"
    reply = client.post(
        "/api/v1/papers/1512.03385/comments",
        {"body": "Agreed.", "parent": r.json()["id"]},
        content_type="application/json",
        **auth,
    )
    assert reply.json()["parent"] == r.json()["id"]
    assert Comment.objects.filter(user=grace).count() == 2
    empty = client.post(
        "/api/v1/papers/1512.03385/comments", {"body": ""}, content_type="application/json", **auth
    )
    assert empty.status_code == 400 and "body" in empty.json()["error"]

    fresh = factories.paper("2509.01234", published=clock.now)
    r = client.post(
        "/api/v1/submissions",
        {"paper": "https://arxiv.org/abs/2509.01234v1"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["featured"][0]["submitted_by"] == "grace"
    assert Featured.objects.get(paper=fresh).submitted_by == grace
    again = client.post(
        "/api/v1/submissions", {"paper": "2509.01234"}, content_type="application/json", **auth
    )
    assert again.status_code == 400 and "already featured" in again.json()["error"]


def test_a_paper_the_corpus_lacks_is_accepted_then_fetched(site, client, clock, settings):
    auth = bearer(factories.member("grace"))
    settings.DAILYPAPERS_SUBMIT_MAX_AGE_DAYS = 100_000
    with ArxivReplay() as replay:
        settings.DAILYPAPERS_ARXIV_API_URL = replay.url + "/api/query"
        settings.DAILYPAPERS_ARXIV_MIN_INTERVAL = 0
        r = client.post(
            "/api/v1/submissions", {"paper": "2410.19022"}, content_type="application/json", **auth
        )
        assert r.status_code == 202 and r.json()["status"] == "fetching"
        follow = f"/api/v1/submissions/{r.json()['id']}"
        assert client.get(follow, **auth).json()["status"] == "fetching"
        run_worker()

    assert client.get(follow, **auth).json() == {
        "id": r.json()["id"],
        "arxiv_id": "2410.19022",
        "status": "featured",
        "message": "",
    }
    assert Featured.objects.get(paper__arxiv_id="2410.19022").submitted_by.username == "grace"
    assert client.get(follow, **bearer(factories.member("linus"))).status_code == 404
    assert client.get(follow).status_code == 401


def test_a_hidden_paper_cannot_be_submitted(site, client, clock):
    hidden = factories.paper("2509.04321", published=clock.now, hidden=True)
    r = client.post(
        "/api/v1/submissions",
        {"paper": "2509.04321"},
        content_type="application/json",
        **bearer(factories.member("grace")),
    )
    assert r.status_code == 400 and "not available" in r.json()["error"]
    assert not Featured.objects.filter(paper=hidden).exists()


def test_a_cursor_out_of_range_is_a_400(site, client):
    import base64

    for text in ("0001-01-01T00:00:00+01:00|5", "2025-01-01T00:00:00|5", "x|y"):
        cursor = base64.urlsafe_b64encode(text.encode()).decode()
        assert client.get(f"/api/v1/papers?cursor={cursor}").status_code == 400, text


def test_a_revoked_token_stops_working(site, client):
    grace = factories.member("grace")
    token, raw = tokens.create(grace, "laptop")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **auth).status_code == 200
    assert token.digest != raw and raw not in token.prefix + token.digest  # only a hash is kept
    assert tokens.revoke(grace, token.pk)
    assert client.get("/api/v1/me", **auth).status_code == 401


def test_tokens_page_shows_a_new_token_once(site, client):
    grace = factories.member("grace")
    client.force_login(grace)
    assert "/accounts/tokens" in client.get("/accounts/settings").content.decode()
    refused = client.post("/accounts/tokens/new", {"name": "bad\x00name"}, follow=True)
    assert "NUL" in refused.content.decode() and not tokens.of(grace).exists()
    r = client.post("/accounts/tokens/new", {"name": "reading list"})  # shown in the answer
    raw = r.context["made"]["token"]
    assert r.status_code == 200 and raw.startswith("dp_") and raw in r.content.decode()
    assert "no-cache" in r["Cache-Control"] and "private" in r["Cache-Control"]
    assert raw not in str(dict(client.session))  # kept nowhere: not in the session either
    assert raw not in client.get("/accounts/tokens").content.decode()  # shown once
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    pk = tokens.of(grace).get().pk
    client.post(f"/accounts/tokens/{pk}/revoke")
    assert not tokens.of(grace).exists()
    other = factories.member("mallory")
    tokens.create(other, "x")
    assert client.post(f"/accounts/tokens/{tokens.of(other).get().pk}/revoke").status_code == 404


def test_a_token_needs_a_verified_address(client):
    """Else whoever signs up with someone's address holds a token that acts for its owner
    once they verify it."""
    newcomer = factories.member("newcomer", verified=False)
    client.force_login(newcomer)
    page = client.get("/accounts/tokens").content.decode()
    assert "Verify your email address" in page and 'name="name"' not in page
    refused = client.post("/accounts/tokens/new", {"name": "script"}, follow=True)
    assert "Verify your email address" in refused.content.decode()
    assert not tokens.of(newcomer).exists()


NEW_PASSWORD = {
    "new_password1": "another-Passphrase-2025",
    "new_password2": "another-Passphrase-2025",
}


def _open_link(client: Client) -> HttpResponse:
    """Open the link of the last mail sent."""
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    return client.get(urlsplit(link).path, follow=True)


def _change_password(client: Client, user: User) -> None:
    client.force_login(user)
    client.post("/accounts/password/change", {"old_password": factories.PASSWORD, **NEW_PASSWORD})


def _reset_password(client: Client, user: User) -> None:
    client.post("/accounts/password/reset", {"email": user.email})
    form = _open_link(client)
    client.post(form.request["PATH_INFO"], NEW_PASSWORD)


def _change_address(client: Client, user: User) -> None:
    client.force_login(user)
    moving = {"email": "grace@elsewhere.org", "password": factories.PASSWORD}
    client.post("/accounts/settings", moving)
    mail.outbox.pop()  # the note to the old address; the link went to the new one
    _open_link(client)


def _verify_address(client: Client, user: User) -> None:
    community.send_verification(user)
    _open_link(client)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_change_password, "Your password was changed."),
        (_reset_password, "Your password was reset."),
        (_change_address, "Your account's address changed to grace@elsewhere.org."),
        # A token made before tokens needed a verified address, by whoever signed up with it.
        (_verify_address, "Your address was verified."),
    ],
)
def test_a_new_password_or_address_revokes_every_token_and_mails_why(client, change, reason):
    grace = factories.member("grace")
    auth = bearer(grace)
    if change is _verify_address:
        Member.objects.filter(user=grace).update(email_verified=False)
    api = Client(HTTP_HOST="localhost")
    assert api.get("/api/v1/me", **auth).status_code == 200
    change(client, grace)
    assert api.get("/api/v1/me", **auth).status_code == 401
    grace.refresh_from_db()
    told = mail.outbox[-1]
    assert told.to == [grace.email] and "API tokens were revoked" in told.subject
    assert reason in told.body and "test script (dp_" in told.body


def test_conditional_get_answers_304_until_something_changes(site, client):
    url = "/api/v1/papers/1512.03385"
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A vote changes no timestamp column, but the answer: no 304 then.
    from dailypapers.community import services

    grace = factories.member("grace")
    services.set_vote(grace, site.residual, True)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200
    # Back to the first answer, within the same second: still newer than the copy held.
    services.set_vote(grace, site.residual, False)
    back = client.get(url, HTTP_IF_MODIFIED_SINCE=changed["Last-Modified"])
    assert back.status_code == 200 and back["ETag"] == etag
    assert parsedate_to_datetime(back["Last-Modified"]) > parsedate_to_datetime(
        changed["Last-Modified"]
    )
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=back["Last-Modified"]).status_code == 304


def test_head_answers_like_get_without_a_body(site, client):
    for url in ("/api/v1/papers/1512.03385", "/api/daily_papers", "/feeds/trending.rss"):
        get, head = client.get(url), client.head(url)
        assert (url, head.status_code) == (url, 200)
        assert head.content == b"" and head["ETag"] == get["ETag"]


def test_cors_allows_reads_from_any_page_but_no_writes(site, client):
    r = client.get("/api/daily_papers", HTTP_ORIGIN="https://example.org")
    assert r["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/papers/1512.03385/vote",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
    )
    assert "PUT" not in preflight.get("Access-Control-Allow-Methods", "")
    # POST needs no preflight with a simple content type; the answer must not be readable.
    for method in ("POST", "PUT"):
        preflight = client.options(
            "/api/v1/submissions",
            HTTP_ORIGIN="https://example.org",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        )
        assert "Access-Control-Allow-Origin" not in preflight, method
    posted = client.post("/api/v1/submissions", HTTP_ORIGIN="https://example.org")
    assert "Access-Control-Allow-Origin" not in posted
    assert "Access-Control-Allow-Origin" not in client.get("/", HTTP_ORIGIN="https://example.org")


def test_many_clients_push_no_api_limit_out(site, client, settings):
    """The limits are counters that hold: Django's database cache, where they were kept as
    lists, culls a third of its entries past 300, and 400 addresses emptied everyone's."""
    settings.DAILYPAPERS_API_RATE = "2/d"  # a window that does not end during the test
    first = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.1")
    assert [first.get("/api/v1/categories").status_code for _ in range(2)] == [200, 200]
    for i in range(400):
        Client(HTTP_HOST="localhost", REMOTE_ADDR=f"10.1.{i // 250}.{i % 250}").get(
            "/api/v1/categories"
        )
    assert first.get("/api/v1/categories").status_code == 429


def test_reads_are_rate_limited_per_client(site, client, settings):
    settings.DAILYPAPERS_API_RATE = "3/d"  # a window that does not end during the test
    codes = [client.get("/api/v1/categories").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/daily_papers")
    assert r.status_code == 429 and "Too many requests" in r.json()["error"]
    assert int(r["Retry-After"]) >= 1
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.2")
    assert other.get("/api/v1/categories").status_code == 200


def test_an_ipv6_client_is_limited_as_its_64_as_on_the_site(site, settings):
    """An IPv6 client holds a /64 and may send from any address in it: the site's limits count
    the /64 (django-ratelimit's ``ip`` key), and so does the API."""
    settings.DAILYPAPERS_API_RATE = "3/d"  # a window that does not end during the test
    rotating = [f"2001:db8:1:2:{i}::1" for i in range(4)]
    codes = [
        Client(HTTP_HOST="localhost", REMOTE_ADDR=a).get("/api/v1/categories").status_code
        for a in rotating
    ]
    assert codes == [200, 200, 200, 429]
    neighbour = Client(HTTP_HOST="localhost", REMOTE_ADDR="2001:db8:1:3::1")  # the next /64
    assert neighbour.get("/api/v1/categories").status_code == 200


def test_nul_characters_are_refused_not_a_database_error(site, client):
    # PostgreSQL cannot store or compare text with NUL: a 400 (comments) or no match (search).
    auth = bearer(factories.member("grace"))
    r = client.post(
        "/api/v1/papers/1512.03385/comments",
        {"body": "a\x00b"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 400 and "NUL" in r.json()["error"]
    assert client.get("/api/v1/search", {"q": "residual\x00"}).status_code == 200
    assert client.get("/api/papers/search", {"q": "\x00"}).status_code == 200
    assert client.get("/search", {"q": "deep\x00"}).status_code == 200
    assert client.get("/api/daily_papers", {"submitter": "ada\x00"}).status_code == 400
