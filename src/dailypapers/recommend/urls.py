from django.urls import path

from . import views

urlpatterns = [path("for-you", views.for_you, name="for_you")]
