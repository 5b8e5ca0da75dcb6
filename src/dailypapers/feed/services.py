"""Writes for the daily feed."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from dailypapers.papers.models import Paper

from .models import Featured


def feature(
    paper: Paper,
    day: dt.date,
    source: str,
    submitted_by: AbstractBaseUser | None = None,
) -> Featured:
    """Feature ``paper`` on ``day``; IntegrityError if it already is featured that day."""
    return Featured.objects.create(
        paper=paper,
        day=day,
        source=source,
        submitted_by=submitted_by,
        featured_at=timezone.now(),
    )
