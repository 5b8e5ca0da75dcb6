from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dailypapers.api"
    verbose_name = "Open data"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from dailypapers.community.signals import credentials_changed

        from .caching import reads_only
        from .tokens import revoke_all

        check_request_enabled.connect(reads_only, dispatch_uid="api.cors_reads_only")
        credentials_changed.connect(revoke_all, dispatch_uid="api.revoke_tokens")
