"""Scheduled digest runs (see settings.DAILYPAPERS_SCHEDULE).

A run that found the SMTP server unreachable queues itself again for the same period, after
DAILYPAPERS_DIGEST_RETRY_LATER seconds, doubled each time, up to
DAILYPAPERS_DIGEST_MAX_ATTEMPTS times; the ledger makes sure the retry sends only what the
earlier runs did not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from dailypapers.feed import periods

from . import compose
from .send import send_digests


@task()
def send_daily(period: str = "", retry: int = 0) -> str:
    """The daily digest of ``period`` (YYYY-MM-DD; default: yesterday)."""
    return _send("daily", period, retry)


@task()
def send_weekly(period: str = "", retry: int = 0) -> str:
    """The weekly digest of ``period`` (YYYY-Www; default: last week)."""
    return _send("weekly", period, retry)


def _send(frequency: str, slug: str, retry: int) -> str:
    kind = "date" if frequency == "daily" else "week"
    chosen = (
        periods.parse(kind, slug) if slug else compose.period_for(frequency, timezone.localdate())
    )
    report = send_digests(frequency, chosen, workers=settings.DAILYPAPERS_DIGEST_WORKERS)
    if not report.deferred or retry >= settings.DAILYPAPERS_DIGEST_MAX_ATTEMPTS:
        return report.summary()
    later = timezone.now() + dt.timedelta(
        seconds=settings.DAILYPAPERS_DIGEST_RETRY_LATER * 2**retry
    )
    again = send_daily if frequency == "daily" else send_weekly
    again.using(run_after=later).enqueue(chosen.slug, retry + 1)
    return f"{report.summary()}; trying again at {later:%Y-%m-%d %H:%M:%S} UTC"
