"""Background tasks (django-tasks): what the scheduler enqueues and the worker runs."""

from django_tasks import task

from . import arxiv, upstreams


@task()
def fetch_new() -> str:
    """Today's arXiv announcements for the configured categories."""
    return arxiv.fetch_new().summary()


@task()
def harvest_oai() -> str:
    """Incremental OAI-PMH harvest from where the last one ended."""
    return arxiv.harvest_oai().summary()


# Before a harvest that may run for minutes: a new site shows its upstreams' papers first.
@task(priority=10)
def sync_today() -> str:
    """Every followed upstream's list of today (its backfill on a first sync)."""
    return "\n".join(upstreams.sync_followed())


@task(priority=10)
def sync_week() -> str:
    """The last week of every followed upstream: the counts keep growing for days."""
    return "\n".join(upstreams.sync_followed(refresh_days=upstreams.REFRESH_DAYS))


@task()
def complete_from_arxiv(ids: list[str]) -> str:
    """arXiv's details (categories, versions, comments) of papers an upstream brought."""
    return arxiv.fetch_ids(ids).summary()
