""" "New on arXiv" (/new, /new/<category>): a day's announcements per category, split into new
submissions and cross-lists as arXiv's /list/<category>/new does, with a one-click "feature it"
for members."""

import datetime as dt
import gzip
import json
import re

import pytest
from django.test import Client

from dailypapers.feed.models import Featured
from tests.conftest import import_files, shared_data
from tests.factories import feature, member, paper

pytestmark = pytest.mark.django_db

MON, TUE = dt.date(2025, 9, 8), dt.date(2025, 9, 9)


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def days(clock):
    """Two announcement days; the ids are created out of order, arXiv's order is by id."""
    made = {
        "cl-second": paper("2509.00103", announced=TUE, categories=["cs.CL"]),
        "cross-lg": paper(
            "2509.00102", announced=TUE, primary_category="cs.LG", categories=["cs.LG", "cs.CL"]
        ),
        "cl-first": paper(
            "2509.00101", announced=TUE, primary_category="cs.CL", categories=["cs.CL", "cs.LG"]
        ),
        "cross-stat": paper(
            "2509.00104", announced=TUE, primary_category="stat.ML", categories=["stat.ML", "cs.CL"]
        ),
        "cv": paper("2509.00105", announced=TUE, primary_category="cs.CV", categories=["cs.CV"]),
        "physics": paper(
            "2509.00106", announced=TUE, primary_category="hep-th", categories=["hep-th"]
        ),
        "hidden": paper("2509.00107", announced=TUE, hidden=True),
        "monday": paper("2509.00001", announced=MON),
        "never": paper("2509.00002"),  # harvested, never seen in an announcement
    }
    for key, p in made.items():
        p.title = f"Paper {key}"
        p.save()
    return made


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title.*?<a href="[^"]+">([^<]+)</a>', html, re.S)


def section(html: str, key: str) -> str:
    """The cards under the section heading ``key`` (new, cross, unknown), up to the next."""
    part = html.split(f'id="{key}"', 1)[1]
    return re.split(r'<h2 class="section-title"|</section>', part, maxsplit=1)[0]


def test_new_shows_the_latest_announcement_day_in_the_sites_categories(client, days):
    response = client.get("/new")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tuesday, 9 September 2025" in html
    # the site's categories (cs.AI cs.CL cs.CV cs.LG), arXiv's order; not Monday's, not hep-th
    assert titles(html) == [
        "Paper cl-first",
        "Paper cross-lg",
        "Paper cl-second",
        "Paper cv",
        "Paper cross-stat",
    ]
    assert titles(section(html, "cross")) == ["Paper cross-stat"]  # primary outside all four
    assert "cs.CL · 4</a>" in html and "cs.LG · 2</a>" in html and "cs.AI · 0</a>" in html
    assert 'href="/new/cs.CV?day=2025-09-09"' in html
    assert '<a href="/new">New</a>' in html  # in the nav


def test_a_category_splits_new_submissions_and_cross_lists_in_arxiv_order(client, days):
    html = client.get("/new/cs.CL").content.decode()
    assert titles(section(html, "new")) == ["Paper cl-first", "Paper cl-second"]
    assert titles(section(html, "cross")) == ["Paper cross-lg", "Paper cross-stat"]
    assert "Paper cv" not in html and "Paper hidden" not in html and "Paper monday" not in html
    assert "4&nbsp;papers" in html and "Replacements" in html
    lg = client.get("/new/cs.LG").content.decode()
    assert titles(section(lg, "new")) == ["Paper cross-lg"]
    assert titles(section(lg, "cross")) == ["Paper cl-first"]


def test_a_category_outside_the_sites_list_works_and_case_is_normalised(client, days):
    html = client.get("/new/stat.ML").content.decode()
    assert titles(section(html, "new")) == ["Paper cross-stat"]
    assert "stat.ML · 1</a>" in html  # a tab of its own beside the site's
    response = client.get("/new/STAT.ml?day=2025-09-09")
    assert response.status_code == 301 and response["Location"] == "/new/stat.ML?day=2025-09-09"


def test_an_earlier_day_with_previous_and_next_links(client, days):
    latest = client.get("/new/cs.CL").content.decode()
    assert 'rel="prev" href="?day=2025-09-08"' in latest and 'rel="next"' not in latest
    html = client.get("/new/cs.CL?day=2025-09-08").content.decode()
    assert "Monday, 8 September 2025" in html
    assert titles(html) == ["Paper monday"]
    assert 'rel="next" href="?day=2025-09-09"' in html and 'rel="prev"' not in html


def test_a_day_without_announcements_is_explained(client, days):
    weekend = client.get("/new/cs.CL?day=2025-09-06")
    assert weekend.status_code == 200
    html = weekend.content.decode()
    assert "no announcement on Saturday, 6 September 2025" in html
    assert 'href="?day=2025-09-08"' in html  # the nearest announcement day after it
    quiet = client.get("/new/hep-ex").content.decode()
    assert "This site has no paper in hep-ex first announced on Tuesday" in quiet


@pytest.mark.parametrize("url", ["/new/cs..CL", "/new/2509.00101", "/new/cs.CL!"])
def test_a_bad_category_is_a_404_that_says_why(client, days, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "is not an arXiv category" in response.content.decode()


@pytest.mark.parametrize("day", ["2025-13-45", "yesterday", "2025-9-9", "20250909"])
def test_a_bad_day_is_a_400_that_says_why(client, days, day):
    response = client.get(f"/new/cs.CL?day={day}")
    assert response.status_code == 400
    assert "is not a valid date: expected YYYY-MM-DD" in response.content.decode()


def test_an_empty_site_explains_where_announcements_come_from(client):
    paper("2509.00009")  # a paper, but never announced
    response = client.get("/new")
    assert response.status_code == 200
    assert "Nothing announced yet" in response.content.decode()
    assert client.get("/new/cs.CL").status_code == 200


def test_long_sections_page_and_link_to_where_each_starts(client, days, settings):
    settings.DAILYPAPERS_PAGE_SIZE = 3
    first = client.get("/new/cs.CL").content.decode()
    assert titles(first) == ["Paper cl-first", "Paper cl-second", "Paper cross-lg"]
    assert 'href="?day=2025-09-09&amp;page=2#cross"' not in first  # cross-lists start on page 1
    assert 'href="?day=2025-09-09&amp;page=1#cross"' in first
    second = client.get("/new/cs.CL?day=2025-09-09&page=2").content.decode()
    assert titles(section(second, "cross")) == ["Paper cross-stat"]  # the heading again
    assert '<span class="rank">4.</span>' in second


def test_a_dismissed_paper_is_hidden_for_that_member_only(client, days):
    ada = member("ada")
    client.force_login(ada)
    client.post(f"/not-interested/{days['cross-lg'].pk}")
    assert "Paper cross-lg" not in client.get("/new/cs.CL").content.decode()
    assert "Paper cross-lg" in Client(HTTP_HOST="localhost").get("/new/cs.CL").content.decode()


def test_members_feature_a_paper_in_one_click(client, days, clock):
    feature(days["cl-second"], MON)  # featured before: shown as such, not offered
    anonymous = client.get("/new/cs.CL").content.decode()
    assert "Feature it" not in anonymous
    assert 'href="/papers/date/2025-09-08"' in section(anonymous, "new")

    client.force_login(member("unverified", verified=False))
    assert "Feature it" not in client.get("/new/cs.CL").content.decode()

    client.force_login(member("ada"))
    html = client.get("/new/cs.CL").content.decode()
    assert html.count("Feature it</button>") == 3  # all but the featured one
    card = html.split(f'id="card-{days["cl-first"].pk}"', 1)[1].split("</article>", 1)[0]
    assert 'action="/submit"' in card and 'name="csrfmiddlewaretoken"' in card
    assert 'name="paper" value="2509.00101"' in card
    assert 'name="next" value="/new/cs.CL"' in card

    response = client.post("/submit", {"paper": "2509.00101", "next": "/new/cs.CL"}, follow=True)
    assert response.redirect_chain == [("/new/cs.CL", 302)]
    html = response.content.decode()
    assert "arXiv:2509.00101 is on today&#x27;s page" in html
    f = Featured.objects.get(paper=days["cl-first"])
    assert f.day == clock.today and f.submitted_by.username == "ada"
    card = html.split(f'id="card-{days["cl-first"].pk}"', 1)[1].split("</article>", 1)[0]
    assert "Featured 10 Sep" in card and "Feature it" not in card
    # an unsafe `next` is ignored: back to the paper
    response = client.post("/submit", {"paper": "2509.00102", "next": "https://evil.example/"})
    assert response["Location"] == "/papers/2509.00102"


def test_papers_too_old_to_submit_are_not_offered(client, days, clock):
    clock.advance(days=30)
    client.force_login(member("ada"))
    assert "Feature it" not in client.get("/new/cs.CL").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_last_day_of_the_real_daily_listings(client):
    path = shared_data("arxiv-daily-listings-2025-2026", "part-014.jsonl.gz")
    out, err = import_files("arxiv", path)
    assert "skipped 0" in out, err
    with gzip.open(path, "rt") as f:
        records = [json.loads(line) for line in f]
    last = [r for r in records if min(r["listing_dates"]) == "2026-07-01"]
    assert last and len(last) < len(records)

    html = client.get("/new").content.decode()
    assert "Wednesday, 1 July 2026" in html
    for code in ("cs.AI", "cs.CL", "cs.CV", "cs.LG"):
        listed = [r for r in last if code in r["categories"]]
        assert f"{code} · {len(listed)}</a>" in html
    # The dump does not say which category is primary, except where a paper has only one.
    cl = [r for r in last if "cs.CL" in r["categories"]]
    only_cl = sorted(r["id"] for r in cl if r["categories"] == ["cs.CL"])
    page = client.get("/new/cs.CL?page=1").content.decode()
    assert f"{len(cl)}&nbsp;papers" in page
    assert f'New submissions <span class="muted">({len(only_cl)})' in page
    shown = re.findall(r'<a class="chip id" href="/papers/([^"]+)"', section(page, "new"))
    assert shown == only_cl[: len(shown)] and shown
