from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "dailypapers.feed"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from .models import Featured, VoteTally

        pagecache.watch(Featured, VoteTally)  # what the listings list, and the votes they show
