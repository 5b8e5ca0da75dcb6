from django.urls import path

from . import views

urlpatterns = [path("about/ranking", views.about_ranking, name="about_ranking")]
