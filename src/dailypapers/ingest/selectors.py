"""Reads of the ingest log, for other apps and pages."""

from __future__ import annotations

import datetime as dt

from .models import IngestRun


def last_success() -> IngestRun | None:
    """The latest importer or harvester run that finished well."""
    runs = IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED, finished_at__isnull=False)
    return runs.order_by("-finished_at").first()


def last_success_at() -> dt.datetime | None:
    run = last_success()
    return run.finished_at if run else None
