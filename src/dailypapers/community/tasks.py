"""Background tasks (django-tasks) of the community: fetching what members submit."""

from django_tasks import task

from . import services


@task()
def fetch_submission(pk: int) -> str:
    """Fetch a submitted paper from arXiv and feature it (see services.fetch_submission)."""
    return services.fetch_submission(pk)
