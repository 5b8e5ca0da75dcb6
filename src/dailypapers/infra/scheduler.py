"""Enqueues the jobs of settings.DAILYPAPERS_SCHEDULE when they fall due.

Each job's latest slot (the last cron time that has passed) is enqueued once: a ScheduledRun
row per (job, slot) guards it, so a scheduler that was down catches up on the missed slot
when it starts, and two schedulers never enqueue the same slot twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from croniter import croniter
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledRun

log = logging.getLogger("dailypapers.scheduler")  # named as before infra/, for log filters


def latest_slot(cron: str, tz: str, now: dt.datetime) -> dt.datetime:
    """The most recent time at or before ``now`` that ``cron`` (read in ``tz``) names."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz))
    itr = croniter(cron, local + dt.timedelta(seconds=1))
    return itr.get_prev(dt.datetime).astimezone(dt.UTC)


def next_slot(cron: str, tz: str, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(zoneinfo.ZoneInfo(tz))
    return croniter(cron, local).get_next(dt.datetime).astimezone(dt.UTC)


def due(now: dt.datetime | None = None) -> list[str]:
    """The jobs whose latest slot has not been enqueued: what the next tick will start."""
    now = now or timezone.now()
    return [
        name
        for name, job in settings.DAILYPAPERS_SCHEDULE.items()
        if not ScheduledRun.objects.filter(
            job=name, slot=latest_slot(job["cron"], job["timezone"], now)
        ).exists()
    ]


def tick(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose latest slot has not been enqueued yet; returns their names."""
    now = now or timezone.now()
    started = []
    for name, job in settings.DAILYPAPERS_SCHEDULE.items():
        slot = latest_slot(job["cron"], job["timezone"], now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=name, slot=slot)
                result = import_string(job["task"]).enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # this slot was enqueued before
        log.info("enqueued %s for %s", name, slot)
        started.append(name)
    return started


def seconds_to_next(now: dt.datetime | None = None) -> float:
    now = now or timezone.now()
    slots = [
        next_slot(job["cron"], job["timezone"], now)
        for job in settings.DAILYPAPERS_SCHEDULE.values()
    ]
    return max(1.0, min([(s - now).total_seconds() for s in slots], default=60.0))
