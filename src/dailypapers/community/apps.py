from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"

    def ready(self) -> None:
        from dailypapers.infra import pagecache

        from . import receivers  # noqa: F401  (connects the signal handlers)
        from .models import Comment, Member, Vote

        # The paper page's comments, and the members behind them (a ban hides a member's
        # comments); a member's own votes, which the cached pages mark per member.
        pagecache.watch(Comment, Member, Vote)
