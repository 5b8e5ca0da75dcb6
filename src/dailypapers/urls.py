from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dailypapers.feed.urls")),
    path("", include("dailypapers.papers.urls")),
]

handler400 = "dailypapers.views.bad_request"
handler404 = "dailypapers.views.page_not_found"
handler500 = "dailypapers.views.server_error"
