"""Background tasks (django-tasks): what the scheduler enqueues and the worker runs."""

from django_tasks import task

from . import arxiv


@task()
def fetch_new() -> str:
    """Today's arXiv announcements for the configured categories."""
    return arxiv.fetch_new().summary()


@task()
def harvest_oai() -> str:
    """Incremental OAI-PMH harvest from where the last one ended."""
    return arxiv.harvest_oai().summary()
