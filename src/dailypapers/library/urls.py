from django.urls import path

from . import views

urlpatterns = [
    path("library", views.library, name="library"),
    path("library/export.json", views.export, {"kind": "json"}, name="library_export_json"),
    path("library/export.bib", views.export, {"kind": "bib"}, name="library_export_bib"),
    path("library/import", views.import_file, name="library_import"),
    path("library/<int:pk>", views.collection, name="collection"),
    path("library/<int:pk>/export.json", views.export, {"kind": "json"}, name="collection_json"),
    path("library/<int:pk>/export.bib", views.export, {"kind": "bib"}, name="collection_bib"),
    path("save/<int:pk>", views.save, name="save"),
    path("not-interested/<int:pk>", views.not_interested, name="not_interested"),
    path("following", views.following, name="following"),
    path("follow", views.follow, name="follow"),
    path("collect/<int:pk>", views.place, name="collect"),
    path("members/<str:username>/collections/<slug:slug>", views.shared, name="shared_collection"),
]
