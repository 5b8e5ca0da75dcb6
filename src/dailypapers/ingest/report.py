"""What an ingest did (read, created, updated, unchanged, skipped with reasons), and its record
in the ingest log (IngestRun/IngestError, shown in the admin)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from dailypapers.infra import processes
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import papers_changed

from . import store
from .models import IngestError, IngestRun

MAX_LOGGED_ERRORS = 10_000  # per run; the counts stay exact beyond it
_running: set[int] = set()  # the runs this process has in hand


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

    def merge(self, other: Report) -> None:
        """Add what ``other`` did."""
        for name in ("read", "created", "updated", "unchanged", "featured", "deleted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

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
    """A new run in the ingest log, after closing the runs whose process is gone."""
    close_abandoned_runs()
    run = IngestRun.objects.create(kind=kind, params=params, holder=processes.me())
    _running.add(run.pk)
    return run


def let_go(run: IngestRun) -> None:
    """``run`` is no longer in this process's hands, finished or not."""
    _running.discard(run.pk)


def close_abandoned_runs() -> None:
    """Mark failed the runs still "running" that nobody runs any more: their process died (or,
    elsewhere, stopped its heartbeat), or it is this process and the run is not in hand."""
    for run in IngestRun.objects.filter(status=IngestRun.Status.RUNNING).exclude(holder=""):
        if run.holder == processes.me():
            if run.pk in _running:
                continue
            note = "this process ended the run without finishing it (see its log)"
        elif processes.is_gone(run.holder):
            host, pid = run.holder.split(":")[:2]
            note = f"the process running it (pid {pid} on {host}) died"
        else:
            continue
        # Only if still running: the run may have ended since it was read.
        IngestRun.objects.filter(pk=run.pk, status=IngestRun.Status.RUNNING).update(
            status=IngestRun.Status.FAILED, finished_at=timezone.now(), message=note
        )


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
        let_go(run)
    run.save()
    if status and (report.created or report.updated):
        papers_changed.send(sender=Paper)  # search embeds and indexes them
