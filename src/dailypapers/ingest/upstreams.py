"""Following upstreams: each day's list of an upstream (huggingface.co or another dailypapers
site) is read page by page and its papers are featured on that day, as the upstream's.

* A paper the corpus lacks is created from the item, and its arXiv details (categories,
  versions, comments) are queued for the worker (``tasks.complete_from_arxiv``).
* A day's counts mirror the upstream's on every sync; a paper it drops later stays featured.
* A malformed item is reported and skipped; a malformed page (HTML, not JSON, an object, too
  large) skips its day; an upstream that cannot be reached ends its sync, not the others'.
* Nothing here runs in a web request: the worker syncs, so a slow upstream delays no page.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.feed import services as feed
from dailypapers.feed.models import Upstream

from . import hf_daily, store
from .models import IngestRun
from .polite import TooLarge
from .records import FeatureRecord, PaperRecord, RecordError
from .report import Report, let_go, save_run, start_run
from .upstream_client import PAGE_SIZE, MalformedPage, UpstreamClient, UpstreamError

log = logging.getLogger(__name__)
MAX_PAGES = 20  # 2,000 papers in a day: far more than any upstream features
REFRESH_DAYS = 7  # counts keep growing for about a week
Enqueue = Callable[[list[str]], None]


@dataclass
class SyncReport(Report):
    """A sync of one upstream: the import counts, plus the days read and those that failed."""

    days: int = 0
    unchanged_days: int = 0
    failed_days: list[str] = field(default_factory=list)
    completions: int = 0  # new papers whose arXiv details were queued
    written: set[str] = field(default_factory=set)  # papers taken in from a newer day

    def summary(self) -> str:
        text = f"{self.days} day(s), {super().summary()}"
        if self.unchanged_days:
            text += f", {self.unchanged_days} day(s) unchanged"
        if self.failed_days:
            text += f", failed days {', '.join(self.failed_days)}"
        return text


def upstream_today() -> dt.date:
    """Today as Hugging Face dates its lists (New York time)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York")).date()


def followed() -> list[str]:
    """The upstreams this site follows (``DAILYPAPERS_UPSTREAMS``)."""
    return list(settings.DAILYPAPERS_UPSTREAMS)


def days_to_sync(upstream: Upstream, start: dt.date | None, end: dt.date | None) -> list[dt.date]:
    """The days a sync reads, newest first: ``[start, end]`` when given (``end`` defaulting to
    today), else today, or the backfill days on an upstream's first sync."""
    today = upstream_today()
    end = end or today
    if start is None:
        back = 0 if upstream.backfilled_at else settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS
        start = end - dt.timedelta(days=back)
    return [end - dt.timedelta(days=n) for n in range((end - start).days + 1)]


def sync(
    url: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    client: UpstreamClient | None = None,
    enqueue: Enqueue | None = None,
) -> SyncReport:
    """Read the upstream at ``url`` for :func:`days_to_sync`; its status records the outcome.
    Raises UpstreamError when it cannot be reached (what it read before stays)."""
    upstream = feed.upstream(url)
    client = client or UpstreamClient(upstream.url)
    report = SyncReport()
    run = start_run("sync", {"upstream": upstream.url, "from": str(start), "to": str(end)})
    backfill = start is None and upstream.backfilled_at is None
    try:
        for day in days_to_sync(upstream, start, end):
            _sync_day(upstream, client, day, report, enqueue or _queue_completion)
            report.days += 1  # read, or skipped as malformed; not one the upstream failed
    except Exception as exc:
        # Unreachable, or a fault of ours: the status and the run say so; the days read stay.
        said = str(exc) if isinstance(exc, UpstreamError) else f"{type(exc).__name__}: {exc}"
        _record(upstream, report, error=said)
        save_run(run, report, IngestRun.Status.FAILED, said, client.requests)
        raise
    finally:
        let_go(run)
    if backfill:
        upstream.backfilled_at = timezone.now()
    _record(upstream, report, error="; ".join(report.failed_days))
    save_run(run, report, IngestRun.Status.SUCCEEDED, report.summary(), client.requests)
    return report


def _sync_day(
    upstream: Upstream, client: UpstreamClient, day: dt.date, report: SyncReport, enqueue: Enqueue
) -> None:
    items: list[tuple[PaperRecord, FeatureRecord]] = []
    etags: dict[str, list] = {}  # kept once the day is written: a skipped day is read again
    unchanged = True
    for page in range(MAX_PAGES):
        key = f"{day.isoformat()}/{page}"
        etag, size = (upstream.etags.get(key) or ["", PAGE_SIZE])[:2]
        where = f"{upstream.url}/api/daily_papers?date={day}&p={page}"
        try:
            answer = client.daily_papers(day, page, etag)
        except (MalformedPage, TooLarge) as exc:
            log.warning("%s: %s; day skipped", where, exc)
            report.errors.append((where, str(exc)))
            report.failed_days.append(day.isoformat())
            return
        if answer.items is None:  # 304: as last read
            if size < PAGE_SIZE:
                break
            continue
        unchanged = False
        if answer.etag:
            etags[key] = [answer.etag, len(answer.items)]
        for n, raw in enumerate(answer.items):
            report.read += 1
            try:
                items.append(hf_daily.parse_item(raw, day))
            except RecordError as exc:
                log.warning("%s item %d skipped: %s", where, n, exc)
                report.errors.append((f"{where} [{n}]", str(exc)))
        if len(answer.items) < PAGE_SIZE:
            break
    if unchanged:
        report.unchanged_days += 1
        return
    _write(upstream, items, report, enqueue)
    upstream.etags.update(etags)


def _write(
    upstream: Upstream,
    items: list[tuple[PaperRecord, FeatureRecord]],
    report: SyncReport,
    enqueue: Enqueue,
) -> None:
    # Days go newest first: a paper an older day lists again (with the stars or the summary
    # it had then, in an archive) does not overwrite what the newer day said of it.
    ids = [paper.arxiv_id for paper, _ in items]
    papers = [paper for paper, _ in items if paper.arxiv_id not in report.written]
    known = store.paper_ids(ids)
    counts, paper_ids = store.upsert_papers(papers)
    report.add(counts)
    report.unchanged += len(items) - len(papers)
    report.written.update(p.arxiv_id for p in papers)
    paper_ids = {**known, **paper_ids}
    report.featured += store.feature_papers([f for _, f in items], paper_ids, upstream)
    new = [i for i in dict.fromkeys(ids) if i not in known and i in paper_ids]
    if new:
        transaction.on_commit(lambda: enqueue(new))
        report.completions += len(new)


def _queue_completion(ids: list[str]) -> None:
    from .tasks import complete_from_arxiv  # the tasks module imports this one

    complete_from_arxiv.enqueue(ids)


def _record(upstream: Upstream, report: SyncReport, error: str) -> None:
    """The upstream's status after a sync: last success, last error, the counts."""
    now = timezone.now()
    if error:
        upstream.last_error, upstream.last_error_at = error[:2000], now
    if report.days > len(report.failed_days):
        upstream.last_success_at = now
    upstream.last_counts = {
        "days": report.days,
        "read": report.read,
        "created": report.created,
        "featured": report.featured,
        "skipped": report.skipped,
        "unchanged_days": report.unchanged_days,
    }
    # The pages of the last 60 days it synced: what the hourly and daily syncs read again.
    newest = max(upstream.etags, default="")[:10] or upstream_today().isoformat()
    cutoff = (dt.date.fromisoformat(newest) - dt.timedelta(days=60)).isoformat()
    upstream.etags = {k: v for k, v in upstream.etags.items() if k >= cutoff}
    upstream.save()


def sync_followed(refresh_days: int = 0) -> list[str]:
    """Sync every followed upstream: today (or its backfill), or the last ``refresh_days``.
    One that cannot be reached is logged and the next is synced."""
    done = []
    for url in followed():
        start = upstream_today() - dt.timedelta(days=refresh_days - 1) if refresh_days else None
        try:
            done.append(f"{url}: {sync(url, start=start).summary()}")
        except UpstreamError as exc:
            log.warning("sync of %s failed: %s", url, exc)
            done.append(f"{url}: {exc}")
        except Exception:  # a fault of ours with one upstream's answers: the others still sync
            log.exception("sync of %s failed", url)
            done.append(f"{url}: failed (see the log)")
    return done


def first_syncs() -> list[str]:
    """The followed upstreams whose first sync (and its backfill) is still ahead."""
    done = set(
        Upstream.objects.filter(url__in=followed(), backfilled_at__isnull=False).values_list(
            "url", flat=True
        )
    )
    return [url for url in followed() if url not in done]
