from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path

from dailypapers.infra import limits

from . import feeds, hf, sitemaps, v1, views
from .core import api, not_found, urls

api.add_router("/", hf.router)
api.add_router("/v1", v1.router)

_limited = limits.FEEDS.view

_FEEDS = [
    ("day", feeds.DayFeed, feeds.DayFeedAtom, "feeds/day"),
    ("trending", feeds.TrendingFeed, feeds.TrendingFeedAtom, "feeds/trending"),
    ("search", feeds.SearchFeed, feeds.SearchFeedAtom, "feeds/search"),
]

urlpatterns = [
    path("api/", urls()),
    re_path(r"^api/(?P<rest>[\s\S]*)$", not_found),  # newlines too
    *[
        path(f"{prefix}.{kind}", _limited(view()), name=f"feed_{name}_{kind}")
        for name, rss, atom, prefix in _FEEDS
        for kind, view in (("rss", rss), ("atom", atom))
    ],
    path("feeds/day/<str:date>.rss", _limited(feeds.DayFeed()), name="feed_date_rss"),
    path("feeds/day/<str:date>.atom", _limited(feeds.DayFeedAtom()), name="feed_date_atom"),
    re_path(
        r"^feeds/category/(?P<category>.+)\.rss$",
        _limited(feeds.CategoryFeed()),
        name="feed_cat_rss",
    ),
    re_path(
        r"^feeds/category/(?P<category>.+)\.atom$",
        _limited(feeds.CategoryFeedAtom()),
        name="feed_cat_atom",
    ),
    path(
        "feeds/members/<str:username>/collections/<slug:slug>.rss",
        _limited(feeds.CollectionFeed()),
        name="feed_collection_rss",
    ),
    path(
        "feeds/members/<str:username>/collections/<slug:slug>.atom",
        _limited(feeds.CollectionFeedAtom()),
        name="feed_collection_atom",
    ),
    re_path(r"^papers/(?P<raw>.+)\.md$", views.paper_markdown, name="paper_markdown"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        limits.SITEMAP.view(sitemap_views.sitemap),
        {"sitemaps": sitemaps.SITEMAPS},
        name="sitemap_section",
    ),
    path("accounts/tokens", views.token_list, name="api_tokens"),
    path("accounts/tokens/new", views.token_create, name="api_token_create"),
    path("accounts/tokens/<int:pk>/revoke", views.token_revoke, name="api_token_revoke"),
]
