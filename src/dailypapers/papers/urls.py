from django.urls import re_path

from . import views

# Old-style ids contain a slash (hep-th/9901001), so the id takes the rest of the path.
urlpatterns = [re_path(r"^papers/(?P<raw>.+)$", views.paper_detail, name="paper")]
