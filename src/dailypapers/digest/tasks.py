"""Scheduled digest runs (see settings.DAILYPAPERS_SCHEDULE)."""

from django_tasks import task

from .send import send_digests


@task()
def send_daily() -> str:
    return send_digests("daily").summary()


@task()
def send_weekly() -> str:
    return send_digests("weekly").summary()
