from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from dailypapers.community.views import limit_log_ins
from dailypapers.infra import health, limits
from dailypapers.pages import authors, for_you, listings, my_data, new_on_arxiv, paper, trending

# Listings and paper pages share one budget per client.
browsing = limits.PAGES.view


urlpatterns = [
    # The admin's log-in, ahead of the admin's own route to it: the site's log-in limits.
    path("admin/login/", limit_log_ins(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", browsing(listings.home), name="home"),
    path("trending", browsing(trending.trending), name="trending"),
    path("for-you", browsing(for_you.for_you), name="for_you"),
    path("new", browsing(new_on_arxiv.new_on_arxiv), name="new"),
    path("new/<str:category>", browsing(new_on_arxiv.new_on_arxiv), name="new_category"),
    path("accounts/data", my_data.my_data, name="my_data"),
    path("authors/<path:name>", browsing(authors.author), name="author"),
    path("papers/date/<str:text>", browsing(listings.period), {"kind": "date"}, name="day"),
    path("papers/week/<str:text>", browsing(listings.period), {"kind": "week"}, name="week"),
    path("papers/month/<str:text>", browsing(listings.period), {"kind": "month"}, name="month"),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.digest.urls")),
    path("", include("dailypapers.feed.urls")),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.library.urls")),
    path("", include("dailypapers.api.urls")),
    # Old-style ids contain a slash (hep-th/9901001), so the id takes the rest of the path.
    re_path(r"^papers/(?P<raw>.+)$", browsing(paper.paper_detail), name="paper"),
]

handler400 = "dailypapers.infra.http.bad_request"
handler404 = "dailypapers.infra.http.page_not_found"
handler500 = "dailypapers.infra.http.server_error"
