from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.digest.urls")),
    path("", include("dailypapers.feed.urls")),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.papers.urls")),
]

handler400 = "dailypapers.views.bad_request"
handler404 = "dailypapers.views.page_not_found"
handler500 = "dailypapers.views.server_error"
