from django.urls import path

from . import views

urlpatterns = [
    path("digest/subscribe", views.subscribe, name="digest_subscribe"),
    path("digest/confirm/<str:token>", views.confirm, name="digest_confirm"),
    path("digest/unsubscribe/<str:token>", views.unsubscribe, name="digest_unsubscribe"),
    path("digest/settings", views.member_settings, name="digest_settings"),
    path("digest/preview", views.preview, name="digest_preview"),
    path("digest/preview/me", views.preview_me, name="digest_preview_me"),
]
