from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "dailypapers.library"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from .models import Collection, Dismissal, Entry

        # A member's own collections, saves and "not interested" marks, which the cached pages
        # show per member.
        pagecache.watch(Collection, Entry, Dismissal)
