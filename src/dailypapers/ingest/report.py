"""What an ingest did (read, created, updated, unchanged, skipped with reasons), and its record
in the ingest log (IngestRun/IngestError, shown in the admin)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from dailypapers.papers.models import Paper
from dailypapers.papers.signals import papers_changed

from . import store
from .models import IngestError, IngestRun

MAX_LOGGED_ERRORS = 10_000  # per run; the counts stay exact beyond it


@dataclass
class Report:
    """What an import did. ``errors`` holds ``(location, reason)`` for every skipped record."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    featured: int = 0
    deleted: int = 0  # hidden because arXiv deleted them (OAI-PMH)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def add(self, counts: store.WriteCounts) -> None:
        self.created += counts.created
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def summary(self) -> str:
        text = (
            f"read {self.read}, created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )
        if self.featured:
            text += f", featured {self.featured}"
        if self.deleted:
            text += f", deleted on arXiv {self.deleted}"
        return text

    def reasons(self) -> list[tuple[str, int]]:
        """Skip reasons with their counts, most frequent first."""
        return Counter(reason for _, reason in self.errors).most_common()


def start_run(kind: str, params: dict[str, object]) -> IngestRun:
    return IngestRun.objects.create(kind=kind, params=params)


def save_run(
    run: IngestRun, report: Report, status: str | None = None, message: str = "", requests: int = 0
) -> None:
    """Write the report's counts (and errors not yet logged) to the run; ``status`` ends it."""
    logged = run.errors.count()
    new_errors = report.errors[logged:MAX_LOGGED_ERRORS]
    IngestError.objects.bulk_create(
        IngestError(run=run, location=loc[:500], reason=reason) for loc, reason in new_errors
    )
    for name in ("read", "created", "updated", "unchanged", "skipped", "featured", "deleted"):
        setattr(run, name, getattr(report, name))
    run.requests = requests or run.requests
    if message:
        run.message = message
    if status:
        run.status, run.finished_at = status, timezone.now()
    run.save()
    if status and (report.created or report.updated):
        papers_changed.send(sender=Paper)  # search embeds and indexes them
