"""Background tasks (django-tasks) of search."""

from django_tasks import task

from . import embedding, keyword_index


@task()
def embed_new() -> str:
    """Embed papers imported or changed since the last run."""
    return f"embedded {embedding.embed_missing()} papers"


@task()
def index_papers() -> str:
    """Bring the keyword index up to date with the papers changed since the last run."""
    return f"indexed {keyword_index.sync()} papers"
