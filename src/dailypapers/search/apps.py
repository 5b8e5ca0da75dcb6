from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"

    def ready(self) -> None:
        from dailypapers.papers.signals import papers_changed

        papers_changed.connect(_embed_later, dispatch_uid="search.embed")


def _embed_later(sender: object, **kwargs: object) -> None:
    """New or changed papers need embeddings: a worker makes them."""
    from .tasks import embed_new

    embed_new.enqueue()
