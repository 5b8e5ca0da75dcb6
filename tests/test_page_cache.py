"""The page cache (dailypapers.infra.pagecache) through the site: anonymous pages are kept
whole and revalidate to 304, members' pages are assembled per request; every kind of write
shows up at once; nobody gets another viewer's marks, name or CSRF token.

Transactional tests: inside a transaction nothing is cached (the stamp cannot know the
transaction's own writes), so these run the way the site runs, each request committed."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.community import services as community
from dailypapers.infra import pagecache
from dailypapers.library import services as library
from dailypapers.papers import services as papers
from dailypapers.papers.models import Paper
from tests.conftest import import_files
from tests.factories import PASSWORD, feature, member, paper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def stopped(clock):
    """A stopped clock (2025-09-10 12:00 UTC), so that no test straddles a midnight."""
    return clock


def today() -> dt.date:
    return timezone.localdate()


def day_url() -> str:
    return f"/papers/date/{today()}"


def recent(arxiv_id: str, **fields) -> Paper:
    """A paper young enough to be submitted today."""
    return paper(arxiv_id, published=timezone.now() - dt.timedelta(days=2), **fields)


def visitor(**kwargs) -> Client:
    return Client(HTTP_HOST="localhost", **kwargs)


def signed_in(user: User, **kwargs) -> Client:
    client = visitor(**kwargs)
    client.force_login(user)
    return client


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    assert "<!--dp:" not in page  # every marker filled in
    return page


def token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


def card(page: str, p: Paper) -> str:
    """One paper's card on a listing."""
    return re.search(rf'<article class="card" id="card-{p.pk}">.*?</article>', page, re.S)[0]


@pytest.fixture
def day_papers() -> list[Paper]:
    found = [recent(f"2509.0000{i}", title=f"Paper {i}") for i in range(1, 4)]
    for i, p in enumerate(found):
        feature(p, today(), upvotes=10 - i)
    return found


# --- anonymous pages: kept whole, revalidated -------------------------------------------------


@pytest.mark.parametrize("url", ["day", "/papers/2509.00001"])
def test_an_anonymous_page_is_built_once_then_served_and_revalidated(day_papers, url):
    url = day_url() if url == "day" else url
    client = visitor()
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    assert "Cookie" in first["Vary"]
    assert first["ETag"].startswith('W/"')

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert html(again).replace(token(html(again)), "") == html(first).replace(
        token(html(first)), ""
    )
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "feed_featured" not in read and "papers_paper" not in read  # from the cache

    same = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304 and same.content == b""
    assert same["ETag"] == first["ETag"] and "Cookie" in same["Vary"]


def test_the_etag_is_the_visitors_own(day_papers):
    """A copy holds its visitor's CSRF token: another visitor's ETag never validates it."""
    first, second = visitor(), visitor()
    etag = first.get(day_url())["ETag"]
    response = second.get(day_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_a_cached_page_carries_each_visitors_own_working_csrf_token(day_papers):
    first = visitor(enforce_csrf_checks=True)
    second = visitor(enforce_csrf_checks=True)
    mine = token(html(first.get(day_url())))
    theirs = token(html(second.get(day_url())))  # the cached page, with their token
    assert mine != theirs
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    response = second.post(
        "/digest/subscribe",
        {"email": "reader@example.org", "frequency": "daily", "csrfmiddlewaretoken": theirs},
    )
    assert response.status_code == 200 and "reader@example.org" in html(response)


def test_a_visitor_with_a_message_waiting_gets_it_on_a_cached_page(day_papers):
    visitor().get("/")  # the home page is cached
    leaving = member("leaving")
    client = signed_in(leaving)
    client.post("/accounts/delete", {"password": PASSWORD})
    page = html(client.get("/"))
    assert "Your account is deleted." in page and "Paper 1" in page


# --- every write shows up at once -------------------------------------------------------------


def _vote(p: Paper, tmp_path: Path) -> None:
    community.set_vote(member("voter"), p, up=True)


def _feature_another(p: Paper, tmp_path: Path) -> None:
    client = signed_in(member("submitter"))
    recent("2509.09999", title="Submitted just now")
    assert client.post("/submit", {"paper": "2509.09999"}).status_code == 302


def _hide(p: Paper, tmp_path: Path) -> None:
    papers.set_hidden(p, True)


def _import_new_version(p: Paper, tmp_path: Path) -> None:
    record = {
        "id": p.arxiv_id,
        "title": "A corrected title",
        "authors": "A. Lovelace",
        "abstract": "New abstract.",
        "categories": "cs.CL",
        "versions": [
            {"version": "v1", "created": "Mon, 1 Sep 2025 10:00:00 GMT"},
            {"version": "v2", "created": "Tue, 9 Sep 2025 10:00:00 GMT"},
        ],
    }
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(record) + "\n")
    out, _ = import_files("arxiv", path)
    assert "updated 1" in out


def _import_hf_summary(p: Paper, tmp_path: Path) -> None:
    item = {"paper": {"id": p.arxiv_id, "title": p.title, "ai_summary": "A new AI summary."}}
    path = tmp_path / "hf.jsonl"
    path.write_text(json.dumps({"date": str(today()), "papers": [item]}) + "\n")
    out, _ = import_files("hf-daily", path)
    assert "updated 1" in out  # same version: Hugging Face's fields change anyway


WRITES = {
    "vote": (_vote, lambda page, p: 'class="votes-count">1<' in card(page, p)),
    "featured": (_feature_another, lambda page, p: "Submitted just now" in page),
    "hidden": (_hide, lambda page, p: f'id="card-{p.pk}"' not in page and "2 papers" in page),
    "ingest": (_import_new_version, lambda page, p: "A corrected title" in page),
    "hf summary": (_import_hf_summary, lambda page, p: "A new AI summary." in card(page, p)),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_shows_on_the_cached_listing(day_papers, write, tmp_path, stopped):
    do, shows = WRITES[write]
    anonymous, someone = visitor(), signed_in(member("reader"))
    target = day_papers[0]
    before = anonymous.get(day_url())
    assert not shows(html(before), target)
    someone.get(day_url())  # the member's cards are cached too

    # Time passes between a view and a write: a card is kept under its paper's modified_at.
    stopped.advance(seconds=1)
    do(target, tmp_path)

    assert shows(html(anonymous.get(day_url())), target)
    assert shows(html(someone.get(day_url())), target)
    assert anonymous.get(day_url(), HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_comments_and_their_moderation_show_on_the_cached_paper_page(day_papers):
    p = day_papers[0]
    url = p.get_absolute_url()
    client = visitor()
    assert "No comments yet." in html(client.get(url))
    community.add_comment(member("talker"), p, "A *fresh* comment")
    assert "<em>fresh</em>" in html(client.get(url))
    comment = p.member_comments.get()
    community.set_hidden(comment, True, member("moderator"))
    assert "<em>fresh</em>" not in html(client.get(url))
    papers.set_hidden(p, True)
    assert client.get(url).status_code == 404


def test_a_write_inside_a_transaction_changes_the_stamp_when_it_commits(day_papers):
    """Readers elsewhere see the new stamp together with the change, not before it."""
    with transaction.atomic():
        assert pagecache.stamp() is None  # inside a transaction nothing is cached
    before = pagecache.stamp()
    written, read = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # raw SQL, as bulk imports write
                    cursor.execute(
                        "UPDATE papers_paper SET title = 'Renamed' WHERE id = %s",
                        [day_papers[0].pk],
                    )
                written.set()
                read.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(10)
    assert pagecache.stamp() == before  # not committed yet
    read.set()
    thread.join(10)
    assert pagecache.stamp() != before


# --- members: their own marks, their own name and token ---------------------------------------


def test_members_never_get_each_others_marks_name_or_token(day_papers):
    ada, bob = member("ada"), member("bob")
    voted, saved = day_papers[0], day_papers[1]
    community.set_vote(ada, voted, up=True)
    library.add(library.saved_collection(ada), saved)
    first = signed_in(ada, enforce_csrf_checks=True)
    second = signed_in(bob, enforce_csrf_checks=True)

    ada_page = html(first.get(day_url()))
    assert 'class="vote voted"' in card(ada_page, voted) and "★ Saved" in card(ada_page, saved)
    bob_page = html(second.get(day_url()))  # the same cards, in bob's variant
    assert 'class="vote voted"' not in card(bob_page, voted)
    assert 'class="votes-count">1<' in card(bob_page, voted)  # ada's vote counts for all
    assert "★ Saved" not in bob_page and "☆ Save" in card(bob_page, saved)
    assert ">bob</a>" in bob_page and ">ada</a>" not in bob_page
    assert token(ada_page) not in bob_page

    response = second.post(
        f"/vote/{voted.pk}", {"action": "up", "csrfmiddlewaretoken": token(bob_page)}
    )
    assert response.status_code == 302  # bob's token is bob's
    assert 'class="vote voted"' in card(html(second.get(day_url())), voted)


@pytest.mark.parametrize("url", ["day", "/papers/2509.00001"])
def test_a_members_page_comes_from_the_cache_with_their_marks(day_papers, url):
    url = day_url() if url == "day" else url
    ada = member("ada")
    community.set_vote(ada, day_papers[0], up=True)
    client = signed_in(ada)
    first = html(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        again = html(client.get(url))
    assert again.replace(token(again), "") == first.replace(token(first), "")
    assert 'class="vote voted"' in again
    read = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("feed_featured", "papers_paper", "community_vote", "library_entry"):
        assert table not in read


def test_members_pages_are_private_and_never_revalidate_to_a_shared_copy(day_papers):
    etag = visitor().get(day_url())["ETag"]
    client = signed_in(member("ada"))
    for url in (day_url(), day_papers[0].get_absolute_url()):
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and "ETag" not in response
        assert response["Cache-Control"] == "private, no-cache" and "Cookie" in response["Vary"]
    anonymous = visitor().get(day_url())
    assert ">ada</a>" not in html(anonymous) and "Log in" in html(anonymous)


def test_not_interested_takes_a_paper_out_of_that_members_cached_listing_only(day_papers):
    ada = member("ada")
    client = signed_in(ada)
    assert "3 papers" in html(client.get(day_url()))
    library.dismiss(ada, day_papers[1])
    page = html(client.get(day_url()))
    assert "2 papers" in page and f'id="card-{day_papers[1].pk}"' not in page
    assert "3 papers" in html(visitor().get(day_url()))
    assert "3 papers" in html(signed_in(member("bob")).get(day_url()))


def test_the_cards_forms_come_back_to_the_page_they_are_on(day_papers):
    """A card is cached once for every listing it is on; its forms return to this one."""
    client = signed_in(member("ada"))
    for url in (day_url(), f"{day_url()}?sort=new", f"/papers/month/{today():%Y-%m}"):
        page = html(client.get(url))
        returns = set(re.findall(r'name="next" value="([^"]*)"', card(page, day_papers[0])))
        assert returns == {url.replace("&", "&amp;")}


def test_the_apps_watch_exactly_the_tables_the_pages_show():
    """Each app registers in its ready() the models whose writes change pages: one missed would
    leave pages stale after its writes, one more would throw the cache away for nothing."""
    shown = {
        "papers_paper",
        "feed_featured",
        "feed_votetally",
        "feed_upstreamfeature",
        "community_comment",
        "community_member",
        "community_vote",
        "library_collection",
        "library_entry",
        "library_dismissal",
    }
    assert pagecache.watched() == shown
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'dailypapers_stamp_%'"
            )
        else:
            cursor.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger "
                "WHERE tgname = 'dailypapers_content_changed'"
            )
        assert {table for (table,) in cursor.fetchall()} == shown
