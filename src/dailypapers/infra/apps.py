from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SiteConfig(AppConfig):
    """The project itself: shared templates, static files, commands and tables."""

    name = "dailypapers"

    def ready(self) -> None:
        from . import pagecache

        # The page cache's triggers watch other apps' tables: after all of them are migrated.
        post_migrate.connect(pagecache.install, sender=self, dispatch_uid="pagecache.install")
