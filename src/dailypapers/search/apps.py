from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from dailypapers.papers.models import Paper
        from dailypapers.papers.signals import papers_changed

        papers_changed.connect(_embed_and_index, dispatch_uid="search.papers_changed")
        # One paper saved or deleted through the ORM (the admin, a moderator) sends no batch
        # signal: the same reaction.
        post_save.connect(_embed_and_index, sender=Paper, dispatch_uid="search.paper_saved")
        post_delete.connect(_embed_and_index, sender=Paper, dispatch_uid="search.paper_deleted")


def _embed_and_index(sender: object, **kwargs: object) -> None:
    """New or changed papers need embeddings and index entries: a worker makes them."""
    from .tasks import embed_new, index_papers

    embed_new.enqueue()
    index_papers.enqueue()
