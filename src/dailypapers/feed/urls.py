from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("papers/date/<str:text>", views.period, {"kind": "date"}, name="day"),
    path("papers/week/<str:text>", views.period, {"kind": "week"}, name="week"),
    path("papers/month/<str:text>", views.period, {"kind": "month"}, name="month"),
]
