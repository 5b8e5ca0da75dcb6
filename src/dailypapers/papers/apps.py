from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "dailypapers.papers"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from .models import Paper

        pagecache.watch(Paper)  # every cached page shows papers
