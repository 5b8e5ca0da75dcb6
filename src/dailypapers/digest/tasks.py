"""Scheduled digest runs (see settings.DAILYPAPERS_SCHEDULE)."""

from django.conf import settings
from django_tasks import task

from .send import send_digests


@task()
def send_daily() -> str:
    return send_digests("daily", workers=settings.DAILYPAPERS_DIGEST_WORKERS).summary()


@task()
def send_weekly() -> str:
    return send_digests("weekly", workers=settings.DAILYPAPERS_DIGEST_WORKERS).summary()
