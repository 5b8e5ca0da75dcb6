from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "dailypapers.feed"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from .models import Featured, Upstream, UpstreamFeature, VoteTally

        # What the listings list, the votes they show, and each upstream's counts and name.
        pagecache.watch(Featured, VoteTally, Upstream, UpstreamFeature)
