"""``/sitemap.xml`` (django.contrib.sitemaps): every visible paper's page and every day with
featured papers, in sections of at most 50,000 addresses (the sitemap protocol's limit). The
addresses are under ``DAILYPAPERS_SITE_URL``, not the request's host: behind a proxy that is
the public address. Rate-limited per client address (``limits.SITEMAP``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from dailypapers.feed import selectors as feed
from dailypapers.infra import limits
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper


class _OnSite(Sitemap):
    @property
    def protocol(self) -> str:  # type: ignore[override]  # an attribute in Django
        return urlsplit(settings.DAILYPAPERS_SITE_URL).scheme

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.DAILYPAPERS_SITE_URL).netloc


class PaperSitemap(_OnSite):
    limit = 50_000

    def items(self) -> QuerySet[Paper]:
        return papers.visible().only("arxiv_id", "modified_at").order_by("pk")

    def lastmod(self, item: Paper) -> dt.datetime:
        return item.modified_at

    def get_latest_lastmod(self) -> dt.datetime | None:
        # Django's default calls lastmod() on every paper for the index: one query instead.
        return papers.visible().aggregate(latest=Max("modified_at"))["latest"]


class DaySitemap(_OnSite):
    changefreq = "daily"

    def items(self) -> list[dt.date]:
        return feed.featured_days()

    def location(self, item: dt.date) -> str:
        return f"/papers/date/{item.isoformat()}"


SITEMAPS: dict[str, type[_OnSite]] = {"papers": PaperSitemap, "days": DaySitemap}


@limits.SITEMAP.view  # and its sections (``urls``), in one budget
def index(request: HttpRequest) -> HttpResponse:
    """The sitemap index, as Django's but under the site's address: a section per sitemap
    and one per further page of a large one."""
    entries = []
    for section, kind in SITEMAPS.items():
        sitemap = kind()
        url = settings.DAILYPAPERS_SITE_URL + reverse("sitemap_section", args=[section])
        latest: Any = sitemap.get_latest_lastmod()  # django-stubs types last_mod as a bool
        entries.append(SitemapIndexItem(url, latest))
        entries += [
            SitemapIndexItem(f"{url}?p={page}", latest)
            for page in range(2, sitemap.paginator.num_pages + 1)
        ]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )
