"""Background tasks (django-tasks) of search."""

from django_tasks import task

from . import embedding


@task()
def embed_new() -> str:
    """Embed papers imported or changed since the last run."""
    return f"embedded {embedding.embed_missing()} papers"
