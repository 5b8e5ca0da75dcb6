"""Markdown of a paper (by address and by Accept), /sitemap.xml and /robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="localhost")


def test_the_paper_page_answers_markdown_when_asked(site, client):
    md = client.get("/papers/1512.03385", HTTP_ACCEPT="text/markdown")
    assert md["Content-Type"] == "text/markdown; charset=utf-8"
    assert md.content.decode().startswith("# Deep Residual Learning")
    assert "Accept" in md["Vary"]
    text = md.content.decode()
    assert "**AI summary (Hugging Face):** Residual connections let" in text
    assert "- **Code:** https://github.com/KaimingHe/deep-residual-networks (6700 stars)" in text
    assert "- **Organization:** Microsoft Research Asia" in text
    assert "- **Keywords:** residual learning, ImageNet" in text
    html = client.get("/papers/1512.03385", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert html["Content-Type"].startswith("text/html") and "Accept" in html["Vary"]
    assert client.get("/papers/hep-th/9901001.md").content.decode().startswith("# An old-style")
    assert client.get("/papers/2501.99999.md").status_code == 404


def test_sitemap_lists_every_paper_and_featured_day(site, client, settings):
    settings.DAILYPAPERS_SITE_URL = "https://papers.example.org"  # behind a proxy: not the Host
    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert set(sections) == {
        "https://papers.example.org/sitemap-papers.xml",
        "https://papers.example.org/sitemap-days.xml",
    }
    papers = ET.fromstring(client.get("/sitemap-papers.xml").content)
    assert all(
        loc.text.startswith("https://papers.example.org/papers/")
        for loc in papers.iter(f"{SITEMAP}loc")
    )
    locs = {loc.text.split("/papers/", 1)[1] for loc in papers.iter(f"{SITEMAP}loc")}
    assert locs == {"1512.03385", "1706.03762", "1312.05602", "hep-th/9901001"}
    days = ET.fromstring(client.get("/sitemap-days.xml").content)
    assert [loc.text.rsplit("/", 1)[1] for loc in days.iter(f"{SITEMAP}loc")] == [
        "2025-09-09",
        "2025-09-08",
    ]


def test_sitemap_pages_are_rate_limited_per_address(client, limits_clock):
    pages = ["/sitemap.xml", "/sitemap-papers.xml", "/sitemap-days.xml", "/sitemap-papers.xml?p=1"]
    codes = [client.get(pages[i % len(pages)]).status_code for i in range(11)]
    assert codes == [200] * 10 + [429]  # 10 a minute, the index and the sections together
    assert "Slow down a little" in client.get("/sitemap-days.xml").content.decode()
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.2")
    assert other.get("/sitemap-papers.xml").status_code == 200


def test_robots_names_the_sitemap_and_keeps_crawlers_off_accounts(client, settings):
    settings.DAILYPAPERS_SITE_URL = "https://papers.example.org"
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://papers.example.org/sitemap.xml" in text
    assert "Disallow: /accounts/" in text
