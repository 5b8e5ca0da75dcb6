from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "dailypapers.digest"

    def ready(self) -> None:
        from dailypapers.community.signals import email_changed

        from . import services

        email_changed.connect(services.follow_new_address, dispatch_uid="digest-follows-email")
