from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SiteConfig(AppConfig):
    """The site's infrastructure: its tables, commands, helpers and the page cache."""

    name = "dailypapers.infra"
    # The root package's label when it was the app: table names, content types, permissions
    # and the applied-migration history of existing sites stay as they are.
    label = "dailypapers"

    def ready(self) -> None:
        from . import pagecache

        # The page cache's triggers watch the tables the apps registered in their ready(): after
        # all of them are migrated.
        post_migrate.connect(pagecache.install, sender=self, dispatch_uid="pagecache.install")
