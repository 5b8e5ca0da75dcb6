from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dailypapers.api"
    verbose_name = "Open data"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from .caching import reads_only

        check_request_enabled.connect(reads_only, dispatch_uid="api.cors_reads_only")
