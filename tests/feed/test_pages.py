"""Day, week and month pages and the home page, through Django's test client."""

import datetime as dt
import re

import pytest
from django.test import override_settings

from tests.factories import feature, paper

pytestmark = pytest.mark.django_db

MON, TUE, WED = dt.date(2025, 9, 8), dt.date(2025, 9, 9), dt.date(2025, 9, 10)


def titles(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h2 class="card-title.*?<a href="[^"]+">([^<]+)</a>', html, re.S)


def test_day_page_lists_that_days_papers_by_votes(client):
    feature(paper(title="Few votes"), MON, upvotes=2)
    feature(paper(title="Many votes"), MON, upvotes=40)
    feature(paper(title="Other day"), TUE, upvotes=99)

    response = client.get("/papers/date/2025-09-08")

    assert response.status_code == 200
    assert titles(response) == ["Many votes", "Few votes"]
    assert "Monday, 8 September 2025" in response.content.decode()


def test_a_card_shows_what_hugging_face_says_of_the_paper(client):
    described = paper(
        title="Described",
        abstract="The whole abstract.",
        ai_summary="One sentence & no more.",
        ai_keywords=["diffusion models"],
        code_url="https://github.com/example/code",
        github_stars=321,
        project_url="https://example.org/p",
        organization="acme",
        organization_fullname="Acme Labs",
    )
    feature(described, MON, upvotes=5)
    feature(paper(title="Plain", abstract="Only an abstract."), MON)

    html = client.get("/papers/date/2025-09-08").content.decode()

    card = re.search(rf'<article class="card" id="card-{described.pk}">.*?</article>', html, re.S)[
        0
    ]
    summary = card.index("AI summary (Hugging Face)</span> One sentence &amp; no more.")
    assert card.index('class="card-title') < summary < card.index("<details")
    assert re.search(
        r"<details[^>]*><summary>Abstract</summary>\s*<p[^>]*>The whole abstract.", card
    )
    assert (
        '<a class="chip keyword" href="/search?q=diffusion%20models">diffusion models</a>' in card
    )
    assert "★ 321" in card and 'href="https://example.org/p"' in card
    assert '<span class="org" title="organisation on Hugging Face">Acme Labs</span>' in card
    # A paper without a summary shows its abstract as before, with no label.
    assert html.count("AI summary (Hugging Face)") == 1 and "Only an abstract." in html


def test_sort_by_newest_uses_when_it_was_featured(client):
    feature(paper(title="Morning"), MON, upvotes=50, hour=7)
    feature(paper(title="Evening"), MON, upvotes=1, hour=20)
    assert titles(client.get("/papers/date/2025-09-08?sort=new")) == ["Evening", "Morning"]
    # an unknown sort falls back to votes instead of failing
    assert titles(client.get("/papers/date/2025-09-08?sort=bogus")) == ["Morning", "Evening"]


def test_home_shows_the_latest_day_with_papers(client):
    feature(paper(title="Older"), MON)
    feature(paper(title="Latest"), WED)
    response = client.get("/")
    assert titles(response) == ["Latest"]
    assert "Wednesday, 10 September 2025" in response.content.decode()


def test_home_on_an_empty_site_says_how_to_import(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "dailypapers import arxiv" in response.content.decode()


def test_day_navigation_skips_to_the_nearest_days_with_papers(client):
    feature(paper(), dt.date(2025, 9, 5))  # Friday
    feature(paper(), MON)
    feature(paper(), WED)
    html = client.get("/papers/date/2025-09-08").content.decode()
    assert 'rel="prev" href="/papers/date/2025-09-05"' in html
    assert 'rel="next" href="/papers/date/2025-09-10"' in html


def test_week_and_month_gather_days_and_count_a_paper_once(client):
    twice = paper(title="Featured twice")
    feature(twice, MON, upvotes=5)
    feature(twice, WED, upvotes=8)
    feature(paper(title="Sunday before"), dt.date(2025, 9, 7), upvotes=100)
    feature(paper(title="October"), dt.date(2025, 10, 1), upvotes=100)

    week = client.get("/papers/week/2025-W37")
    assert titles(week) == ["Featured twice"]
    assert "▲&nbsp;8 upstream</span>" in week.content.decode()  # its best imported count

    month = client.get("/papers/month/2025-09")
    assert titles(month) == ["Sunday before", "Featured twice"]
    html = month.content.decode()
    assert 'href="/papers/month/2025-10"' in html  # next month has papers


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2025-09-06", "Weekend"),
        ("2025-12-25", "arXiv holiday"),
        ("2025-09-11", "Nothing featured"),
        ("2199-01-01", "Not yet"),
    ],
)
def test_an_empty_day_says_why(client, day, reason):
    feature(paper(), MON)
    response = client.get(f"/papers/date/{day}")
    assert response.status_code == 200
    html = response.content.decode()
    assert reason in html
    assert 'href="/papers/date/2025-09-08"' in html  # a way back to a day with papers


@override_settings(DAILYPAPERS_ARXIV_HOLIDAYS=["2025-09-11"])
def test_operator_configured_holidays(client):
    assert "arXiv holiday" in client.get("/papers/date/2025-09-11").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2025-13-01",
        "/papers/date/2025-02-30",
        "/papers/date/yesterday",
        "/papers/date/0000-01-01",
        "/papers/date/9999-12-31",
        "/papers/week/2025-W54",
        "/papers/week/2025-37",
        "/papers/month/2025-00",
        "/papers/month/25-09",
    ],
)
def test_malformed_periods_get_a_readable_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "is not a valid" in response.content.decode()


@override_settings(DAILYPAPERS_PAGE_SIZE=2)
def test_long_lists_paginate(client):
    for votes in range(5):
        feature(paper(title=f"Votes {votes}"), MON, upvotes=votes)
    first = client.get("/papers/date/2025-09-08")
    assert titles(first) == ["Votes 4", "Votes 3"]
    third = client.get("/papers/date/2025-09-08?page=3")
    assert titles(third) == ["Votes 0"]
    assert '<span class="rank">5.</span>' in third.content.decode()  # ranks go on across pages
    assert titles(client.get("/papers/date/2025-09-08?page=99")) == ["Votes 0"]
    assert titles(client.get("/papers/date/2025-09-08?page=x")) == ["Votes 4", "Votes 3"]


def test_hidden_papers_stay_out_of_the_feed(client):
    feature(paper(title="Visible"), MON)
    feature(paper(title="Hidden", hidden=True), MON)
    assert titles(client.get("/papers/date/2025-09-08")) == ["Visible"]


def test_html_in_titles_and_abstracts_is_shown_as_text(client):
    feature(paper(title="<script>alert(1)</script>", abstract="<img src=x onerror=alert(2)>"), MON)
    html = client.get("/papers/date/2025-09-08").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


@override_settings(DAILYPAPERS_PAGE_SIZE=2)
def test_pager_links_keep_the_sort(client):
    for votes in range(3):
        feature(paper(), MON, upvotes=votes)
    html = client.get("/papers/date/2025-09-08?sort=new").content.decode()
    assert 'href="?sort=new&amp;page=2"' in html and "Page 1 of 2" in html
