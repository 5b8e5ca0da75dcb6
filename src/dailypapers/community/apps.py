from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal handlers)
