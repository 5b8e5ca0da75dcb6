"""``/sitemap.xml`` (django.contrib.sitemaps): every visible paper's page and every day with
featured papers, in sections of at most 50,000 addresses (the sitemap protocol's limit)."""

from __future__ import annotations

import datetime as dt

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet

from dailypapers.feed import selectors as feed
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper


class PaperSitemap(Sitemap):
    limit = 50_000

    def items(self) -> QuerySet[Paper]:
        return papers.visible().only("arxiv_id", "modified_at").order_by("pk")

    def lastmod(self, item: Paper) -> dt.datetime:
        return item.modified_at

    def get_latest_lastmod(self) -> dt.datetime | None:
        # Django's default calls lastmod() on every paper for the index: one query instead.
        return papers.visible().aggregate(latest=Max("modified_at"))["latest"]


class DaySitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[dt.date]:
        return feed.featured_days()

    def location(self, item: dt.date) -> str:
        return f"/papers/date/{item.isoformat()}"


SITEMAPS = {"papers": PaperSitemap, "days": DaySitemap}
