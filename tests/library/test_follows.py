"""Author pages (accent-insensitive) and following authors and categories."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.library import selectors, services
from dailypapers.library.models import Follow
from tests import factories
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def corpus():
    def paper(ident, title, authors, cats, year):
        return factories.paper(
            ident,
            title=title,
            authors=authors,
            categories=cats,
            primary_category=cats[0],
            published=dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        )

    made = {
        "kernels": paper("0101.00001", "Kernel methods", ["Bernhard Schölkopf"], ["stat.ML"], 2001),
        "svm": paper(
            "1901.00002", "Support vectors", ["Alex Smola", "Bernhard Schölkopf"], ["cs.LG"], 2019
        ),
        # All the words of the name, but not one author: not his paper.
        "other": paper(
            "2001.00003", "Something else", ["Bernhard Meyer", "Anna Schölkopf"], ["cs.LG"], 2020
        ),
        "speech": paper("2101.00004", "Speech", ["Ann Lee"], ["cs.CL"], 2021),
    }
    run_worker()
    return made


def test_an_author_page_lists_their_papers_newest_first_accents_aside(corpus):
    client = Client(HTTP_HOST="localhost")
    for name in ("Bernhard Schölkopf", "bernhard scholkopf"):
        page = client.get(f"/authors/{name}").content.decode()
        assert page.index("Support vectors") < page.index("Kernel methods")
        assert "Something else" not in page
    assert client.get("/authors/Nobody Here").status_code == 404
    paper_page = client.get("/papers/1901.00002").content.decode()
    assert 'href="/authors/Bernhard%20Sch%C3%B6lkopf"' in paper_page


def test_follow_authors_and_categories(corpus):
    ada = factories.member("ada")
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    client.post("/follow", {"kind": "author", "value": "Bernhard Scholkopf"})
    client.post("/follow", {"kind": "author", "value": "bernhard  schölkopf"})  # the same one
    client.post("/follow", {"kind": "category", "value": "cs.CL"})
    bad = client.post("/follow", {"kind": "category", "value": "<b>"}, follow=True)
    assert "not an arXiv category" in bad.content.decode()
    assert [(f.kind, f.value) for f in selectors.follows_of(ada)] == [
        ("author", "Bernhard Scholkopf"),
        ("category", "cs.CL"),
    ]
    feed = [p.arxiv_id for p in selectors.following_feed(ada)]
    assert feed == ["2101.00004", "1901.00002", "0101.00001"]
    page = client.get("/following").content.decode()
    assert "Support vectors" in page and "Speech" in page and "Something else" not in page
    assert "Following ✓" in client.get("/authors/Bernhard Schölkopf").content.decode()

    data = json.loads(client.get("/accounts/data").content)
    assert {"kind": "category", "value": "cs.CL"} in data["follows"]

    client.post("/follow", {"kind": "author", "value": "Bernhard Schölkopf", "action": "remove"})
    assert [f.kind for f in selectors.follows_of(ada)] == ["category"]
    with pytest.raises(services.LibraryError):
        services.follow(ada, "planet", "Mars")


def test_follows_are_capped_with_a_message():
    ada = factories.member("ada")
    Follow.objects.bulk_create(
        Follow(user=ada, kind="author", value=f"Writer {n}", key=f"writer {n}")
        for n in range(services.MAX_FOLLOWS)
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    page = client.post("/follow", {"kind": "category", "value": "cs.CL"}, follow=True)
    assert f"You follow {services.MAX_FOLLOWS} authors and categories" in page.content.decode()
    assert Follow.objects.filter(user=ada).count() == services.MAX_FOLLOWS
    again = client.post("/follow", {"kind": "author", "value": "writer 7"}, follow=True)
    assert "You follow writer 7" in again.content.decode()  # one already followed: no change
    client.post("/follow", {"kind": "author", "value": "Writer 7", "action": "remove"})
    client.post("/follow", {"kind": "category", "value": "cs.CL"})
    assert Follow.objects.filter(user=ada, kind="category").count() == 1


def test_the_following_page_takes_as_many_queries_for_many_follows_as_for_two(corpus):
    writers = [f"Writer {n}" for n in range(30)]
    for n, name in enumerate(writers):
        factories.paper(
            f"2201.{n:05d}",
            title=f"Work of {name}",
            authors=[name],
            categories=["math.PR"],
            primary_category="math.PR",
            published=dt.datetime(2022, 1, 1 + n % 28, tzinfo=dt.UTC),
        )
    run_worker()
    ada = factories.member("ada")
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    services.follow(ada, "author", "Bernhard Schölkopf")
    services.follow(ada, "category", "cs.CL")

    def page() -> tuple[int, str]:
        client.get("/following")  # the session and the member's parts, read once
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/following").content.decode()
        return len(queries), html

    few, html = page()
    assert "Support vectors" in html and "Speech" in html and "Work of" not in html
    for name in writers:
        services.follow(ada, "author", name)
    for code in ("stat.ML", "cs.LG", "math", "q-bio.NC"):
        services.follow(ada, "category", code)
    many, html = page()
    assert many == few
    assert all(f"Work of {name}<" in html for name in writers) and "Kernel methods" in html
