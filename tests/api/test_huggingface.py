"""Hugging Face's own client, unchanged but for the address, against a live dailypapers site:
``HfApi(endpoint=...)`` lists daily papers by day, week and month, reads papers, searches and
reads the Markdown page. Checked also against a real Hugging Face response imported here."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import close_session

from dailypapers.feed import services as feed_services
from dailypapers.feed.models import Featured
from tests import factories
from tests.api.conftest import MONDAY, TUESDAY
from tests.conftest import import_files, run_worker, shared_data


@pytest.fixture(autouse=True)
def hf_session():
    yield
    # The client keeps its connection open, and with it a live-server thread and that
    # thread's database connection, which would keep the test database from being dropped.
    close_session()


@pytest.fixture
def hf(live_server) -> HfApi:
    return HfApi(endpoint=live_server.url, token=False)


def test_daily_papers_of_a_day_week_and_month(site, hf):
    day = list(hf.list_daily_papers(date=MONDAY.isoformat()))
    # Newest featured first (sort=publishedAt, Hugging Face's default).
    assert [p.id for p in day] == ["1706.03762", "1512.03385"]
    attention, residual = day
    assert attention.upvotes == 5  # 3 imported + 2 members
    assert residual.comments == 3  # 2 imported + 1 member's
    assert residual.title == "Deep Residual Learning for Image Recognition"
    assert [a.name for a in residual.authors] == ["Kaiming He", "Xiangyu Zhang"]
    assert residual.published_at.year == 2015  # arXiv's date
    assert residual.submitted_at == residual.published_at  # the item's publishedAt, as on HF
    assert residual.summary.startswith("We present a residual learning framework")
    assert len(list(hf.list_daily_papers(date=MONDAY.isoformat(), limit=1, p=1))) == 1
    # No date: the latest day with papers.
    assert [p.id for p in hf.list_daily_papers()] == ["1312.05602"]

    # Week and month are Hugging Face's, on arXiv's dates: the featured papers published from
    # the Friday before the week to its Sunday, from the last day of the month before to the
    # month's last day, 00:00 UTC (huggingface_hub's TestPaperApi).
    published = {
        "2509.04001": "2025-09-04T23:59",  # before the Friday
        "2509.05001": "2025-09-05T00:00",
        "2509.13001": "2025-09-13T23:00",
        "2509.14001": "2025-09-14T01:00",  # after the week's Sunday, 00:00
        "2508.31001": "2025-08-31T05:00",
        "2509.30001": "2025-09-30T05:00",  # after the month's last day, 00:00
    }
    for ident, when in published.items():
        paper = factories.paper(ident, published=dt.datetime.fromisoformat(when + "+00:00"))
        factories.feature(paper, TUESDAY)
    factories.paper("2509.06001", published=dt.datetime(2025, 9, 6, tzinfo=dt.UTC))  # unfeatured
    week = list(hf.list_daily_papers(week="2025-W37"))
    assert [p.id for p in week] == ["2509.13001", "2509.05001"]  # newest on arXiv first
    start, end = dt.datetime(2025, 9, 5, tzinfo=dt.UTC), dt.datetime(2025, 9, 14, tzinfo=dt.UTC)
    assert all(start <= p.submitted_at <= end for p in week)
    month = list(hf.list_daily_papers(month="2025-09", sort="trending"))
    assert {p.id for p in month} == {"2508.31001", "2509.04001", "2509.05001", "2509.13001",
                                     "2509.14001"}  # fmt: skip
    assert len(list(hf.list_daily_papers(month="2025-09", limit=2, p=2))) == 1


def test_a_member_who_featured_a_paper_is_its_submitter(site, hf):
    fresh = factories.paper("2509.00077", title="Featured by a member")
    feed_services.feature(fresh, TUESDAY, Featured.Source.MEMBER, submitted_by=site.ada)

    [mine] = hf.list_daily_papers(date=TUESDAY.isoformat(), submitter="ada")
    assert mine.id == "2509.00077" and mine.submitted_by.username == "ada"
    assert hf.paper_info("2509.00077").submitted_by.username == "ada"
    assert list(hf.list_daily_papers(date=TUESDAY.isoformat(), submitter="nobody")) == []


def test_a_bad_date_is_a_400_that_says_why(site, hf):
    with pytest.raises(HfHubHTTPError) as caught:
        list(hf.list_daily_papers(date="2025-13-45"))
    assert caught.value.response.status_code == 400
    assert "YYYY-MM-DD" in caught.value.response.json()["error"]
    with pytest.raises(HfHubHTTPError) as caught:
        list(hf.list_daily_papers(limit=500))
    assert caught.value.response.status_code == 400
    assert "limit" in caught.value.response.json()["error"]


def test_paper_info_search_and_markdown(site, hf):
    info = hf.paper_info("1512.03385")
    assert info.title == "Deep Residual Learning for Image Recognition"
    assert info.upvotes == 10 and info.submitted_at is not None
    assert info.github_repo == "https://github.com/KaimingHe/deep-residual-networks"
    assert info.github_stars == 6700
    assert info.ai_summary == "Residual connections let very deep networks train."
    assert info.ai_keywords == ["residual learning", "ImageNet"]
    assert (info.organization.name, info.organization.fullname) == (
        "msra",
        "Microsoft Research Asia",
    )
    bare = hf.paper_info("1706.03762")  # nothing from Hugging Face: null, as they write it
    assert (bare.ai_summary, bare.ai_keywords, bare.github_stars, bare.organization) == (None,) * 4
    assert hf.paper_info("hep-th/9901001").title == "An old-style identifier"
    with pytest.raises(HfHubHTTPError) as caught:
        hf.paper_info("2501.99999")
    assert caught.value.response.status_code == 404

    found = list(hf.list_papers(query="residual learning image recognition"))
    assert found[0].id == "1512.03385"
    assert len(list(hf.list_papers(query="deep", limit=1))) == 1
    assert list(hf.list_papers()) == []  # the client sends no q without a query

    text = hf.read_paper("1512.03385")
    assert text.startswith("# Deep Residual Learning for Image Recognition")
    assert "$\\mathcal{O}(L)$" in text  # TeX kept for renderers
    assert "https://arxiv.org/pdf/1512.03385" in text


def test_every_paper_by_cursor(site, live_server):
    import httpx

    seen, url = [], f"{live_server.url}/api/papers?limit=3"
    while url:
        r = httpx.get(url)
        assert r.status_code == 200
        seen += [p["id"] for p in r.json()]
        url = r.links.get("next", {}).get("url")
    assert seen == ["1706.03762", "1512.03385", "1312.05602", "hep-th/9901001"]
    assert httpx.get(f"{live_server.url}/api/papers?cursor=garbage").status_code == 400


def test_a_real_hugging_face_day_comes_back_as_it_went_in(live_server, transactional_db):
    path = shared_data("hf-daily-papers", "examples", "daily_papers_2026-08-20.json")
    original = json.loads(path.read_text())
    import_files("hf-daily", path)
    run_worker()
    hf = HfApi(endpoint=live_server.url, token=False)

    served = list(hf.list_daily_papers(date="2026-08-20", sort="trending"))

    assert {p.id for p in served} == {item["paper"]["id"] for item in original}
    by_id = {p.id: p for p in served}
    for item in original:
        mine = by_id[item["paper"]["id"]]
        assert mine.title == item["paper"]["title"]
        assert mine.summary == " ".join(item["paper"]["summary"].split())  # as imported
        assert (mine.upvotes or 0) == item["paper"]["upvotes"]  # the client reads 0 as None
        assert mine.comments == item["numComments"]
        assert [a.name for a in mine.authors] == [a["name"] for a in item["paper"]["authors"]]
    for item in original:
        theirs, info = item["paper"], hf.paper_info(item["paper"]["id"])
        assert info.github_repo == theirs.get("githubRepo")
        assert info.project_page == theirs.get("projectPage")
        assert info.github_stars == theirs.get("githubStars")
        summary = theirs.get("ai_summary")
        assert info.ai_summary == (" ".join(summary.split()) if summary else None)
        assert info.ai_keywords == (theirs.get("ai_keywords") or None)
        org = theirs.get("organization")
        assert (info.organization and info.organization.name) == (org and org["name"])
        if org:
            assert info.organization.fullname == org["fullname"]
    # Trending on one day: by votes, as Hugging Face orders the day.
    upvotes = [p.upvotes or 0 for p in served]
    assert upvotes == sorted(upvotes, reverse=True)
