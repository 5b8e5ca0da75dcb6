from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("trending", views.trending, name="trending"),
    path("about/ranking", views.about_ranking, name="about_ranking"),
    path("papers/date/<str:text>", views.period, {"kind": "date"}, name="day"),
    path("papers/week/<str:text>", views.period, {"kind": "week"}, name="week"),
    path("papers/month/<str:text>", views.period, {"kind": "month"}, name="month"),
]
