from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "dailypapers.feed"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from .models import Featured, UpstreamFeature, VoteTally

        # What the listings list, the votes they show, and each upstream's counts. Not the
        # Upstream rows: every sync writes their status, which no listing shows.
        pagecache.watch(Featured, VoteTally, UpstreamFeature)
