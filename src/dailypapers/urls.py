from collections.abc import Callable

from django.contrib import admin
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django_ratelimit.decorators import ratelimit

from dailypapers import pages
from dailypapers.community.views import limit_log_ins
from dailypapers.infra import health


def browsing(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Listings and paper pages share one budget per client (DAILYPAPERS_PAGE_RATE): far
    above what a reader opens, so that only a scraper hammering them gets a 429."""
    rate = "dailypapers.infra.counters.page_rate"
    limited = ratelimit(key="user_or_ip", rate=rate, group="pages")
    return limited(view)


urlpatterns = [
    # The admin's log-in, ahead of the admin's own route to it: the site's log-in limits.
    path("admin/login/", limit_log_ins(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", browsing(pages.home), name="home"),
    path("trending", browsing(pages.trending), name="trending"),
    path("for-you", browsing(pages.for_you), name="for_you"),
    path("new", browsing(pages.new_on_arxiv), name="new"),
    path("new/<str:category>", browsing(pages.new_on_arxiv), name="new_category"),
    path("accounts/data", pages.my_data, name="my_data"),
    path("authors/<path:name>", browsing(pages.author), name="author"),
    path("accounts/delete", pages.delete_account, name="delete_account"),
    path("papers/date/<str:text>", browsing(pages.period), {"kind": "date"}, name="day"),
    path("papers/week/<str:text>", browsing(pages.period), {"kind": "week"}, name="week"),
    path("papers/month/<str:text>", browsing(pages.period), {"kind": "month"}, name="month"),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.digest.urls")),
    path("", include("dailypapers.feed.urls")),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.library.urls")),
    path("", include("dailypapers.api.urls")),
    # Old-style ids contain a slash (hep-th/9901001), so the id takes the rest of the path.
    re_path(r"^papers/(?P<raw>.+)$", browsing(pages.paper_detail), name="paper"),
]

handler400 = "dailypapers.infra.http.bad_request"
handler404 = "dailypapers.infra.http.page_not_found"
handler500 = "dailypapers.infra.http.server_error"
