"""Reads of the ingest log, for other apps and pages."""

from __future__ import annotations

import datetime as dt

from .models import IngestRun


def last_success_at() -> dt.datetime | None:
    """When the latest importer or harvester run that finished well finished."""
    runs = IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED, finished_at__isnull=False)
    return runs.order_by("-finished_at").values_list("finished_at", flat=True).first()
