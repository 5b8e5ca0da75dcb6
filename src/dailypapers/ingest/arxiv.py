"""Ingestion from arXiv itself: details by id (API), the day's announcements (RSS), and
full or incremental OAI-PMH harvests. Every run is written to the ingest log."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.feed import selectors as feed
from dailypapers.feed import services as feed_services
from dailypapers.infra import database
from dailypapers.papers import arxiv_id
from dailypapers.papers import services as papers

from . import arxiv_atom, oai, rss, store
from .arxiv_client import ArxivClient, ArxivError
from .models import HarvestState, IngestRun
from .polite import BadResponse
from .records import PaperRecord
from .report import Report, let_go, save_run, start_run

log = logging.getLogger(__name__)
T = TypeVar("T")
API_BATCH = 100  # ids per API call (arXiv's advice for id_list)
NOT_FOUND = "not found on arXiv"
Progress = Callable[[str], None]


@contextmanager
def _logged(run: IngestRun, report: Report, client: ArxivClient) -> Iterator[None]:
    """Fail ``run`` in the ingest log if the block raises ArxivError; however the block ends,
    the run is no longer in this process's hands (so a later run closes it if left running)."""
    try:
        yield
    except ArxivError as exc:
        save_run(run, report, IngestRun.Status.FAILED, str(exc), client.requests)
        raise
    finally:
        let_go(run)


def _checked(parse: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """Turn an unreadable body (cut-off XML) into BadResponse, which the client retries; an
    OAI protocol error is a real answer and passes through."""

    def run(body: bytes) -> T:
        try:
            return parse(body)
        except oai.OaiError:
            raise
        except arxiv_atom.XmlError as exc:
            raise BadResponse(str(exc)) from None

    return run


# --- API: details by id -----------------------------------------------------------------------


def fetch_ids(ids: list[str], client: ArxivClient | None = None) -> Report:
    """Fetch papers by id (any accepted id form) through the API, 100 per call.

    A malformed id, or one arXiv rejects or does not know, is an error for that id only.
    """
    client = client or ArxivClient()
    report = Report()
    run = start_run("api", {"ids": ids[:1000]})
    with _logged(run, report, client):
        for batch in _batches(ids, report):
            _write(_api_batch(client, batch, report), report, count_read=False)
    save_run(run, report, IngestRun.Status.SUCCEEDED, report.summary(), client.requests)
    return report


def _batches(ids: list[str], report: Report) -> list[list[str]]:
    """Valid versionless ids, deduplicated, in API-sized batches; bad ones go to the report."""
    wanted: list[str] = []
    for raw in ids:
        try:
            wanted.append(arxiv_id.parse(raw).id)
        except arxiv_id.InvalidArxivId as exc:
            report.read += 1
            report.errors.append((raw, str(exc)))
    wanted = list(dict.fromkeys(wanted))
    return [wanted[i : i + API_BATCH] for i in range(0, len(wanted), API_BATCH)]


def _api_batch(client: ArxivClient, ids: list[str], report: Report) -> list[PaperRecord]:
    params = {"id_list": ",".join(ids), "max_results": str(len(ids))}
    for _ in range(2):
        page = client.get(
            settings.DAILYPAPERS_ARXIV_API_URL, params, _checked(arxiv_atom.parse_feed)
        )
        if page.records or page.errors:
            break
        # arXiv sometimes answers an empty feed under load: ask once more before calling the
        # ids unknown.
    report.read += len(ids)
    report.errors += page.errors
    answered = {r.arxiv_id for r in page.records} | {_error_id(loc) for loc, _ in page.errors}
    report.errors += [(i, NOT_FOUND) for i in ids if i not in answered]
    return [r for r in page.records if r.arxiv_id in set(ids)]


def _error_id(location: str) -> str:
    try:
        return arxiv_id.normalize(location)
    except arxiv_id.InvalidArxivId:
        return location


# --- RSS: today's announcements ---------------------------------------------------------------


def fetch_new(categories: list[str] | None = None, client: ArxivClient | None = None) -> Report:
    """Read the announcement feed of ``categories``, fetch the announced papers' details through
    the API, and feature them where an enabled operator rule asks for it."""
    categories = categories or settings.DAILYPAPERS_CATEGORIES
    client = client or ArxivClient()
    run = start_run("rss", {"categories": categories})
    report = Report()
    with _logged(run, report, client):
        url = f"{settings.DAILYPAPERS_ARXIV_RSS_URL.rstrip('/')}/{'+'.join(categories)}"
        page = client.get(url, {}, _checked(rss.parse_announcements))
        items = page.announcements
        if not items:
            report.errors += page.errors
            message = "no announcements in the feed (arXiv does not announce on weekends/holidays)"
            save_run(run, report, IngestRun.Status.SUCCEEDED, message, client.requests)
            return report
        records: list[PaperRecord] = []
        for batch in _batches([a.arxiv_id for a in items], report):
            records += _api_batch(client, batch, report)
        # The feed's own record stands in for what the API did not return, and gives the
        # announcement day; both merge into one row per paper.
        report.errors = [e for e in report.errors if e[1] != NOT_FOUND]
        report.read = len(items) + len(page.errors)
        report.errors += page.errors
        _write(records + [a.record for a in items], report, count_read=False)
        report.featured += _apply_rules(items)
    save_run(run, report, IngestRun.Status.SUCCEEDED, report.summary(), client.requests)
    return report


def _apply_rules(items: list[rss.Announcement]) -> int:
    rules = feed.enabled_rules()
    chosen = [
        a
        for a in items
        if a.announced and any(r.matches(a.record.categories, a.announce_type) for r in rules)
    ]
    if not chosen:
        return 0
    ids = store.paper_ids([a.arxiv_id for a in chosen])
    return feed_services.feature_by_rule(
        (ids[a.arxiv_id], a.announced) for a in chosen if a.arxiv_id in ids and a.announced
    )


# --- OAI-PMH harvest --------------------------------------------------------------------------


def harvest_oai(
    set_spec: str | None = None,
    from_date: dt.date | None = None,
    metadata: str = "arXiv",
    client: ArxivClient | None = None,
    progress: Progress | None = None,
) -> Report:
    """Harvest ListRecords page by page, resumable.

    Each page's papers and the checkpoint (resumption token, latest datestamp) commit in one
    transaction: after a crash the next run continues with the stored token. An expired token
    restarts from the latest datestamp seen; a finished harvest stores how far it got, and the
    next run without ``from_date`` starts there (re-reading one day is harmless: imports are
    idempotent). A lost database connection (PostgreSQL restarted) is waited out, and the
    step it cut off runs again.
    """
    set_spec = set_spec or settings.DAILYPAPERS_OAI_SET
    client = client or ArxivClient()
    state, _ = HarvestState.objects.get_or_create(key=f"oai:{set_spec}:{metadata}")
    if from_date is not None and from_date != state.started_from:
        state.resumption_token, state.started_from, state.last_datestamp = "", from_date, None
    elif not state.resumption_token:
        backfill = dt.timedelta(days=settings.DAILYPAPERS_OAI_BACKFILL_DAYS)
        state.started_from = state.harvested_until or timezone.localdate() - backfill
    run = start_run("oai", {"set": set_spec, "metadata": metadata, "from": str(state.started_from)})
    report = Report()
    base = {"verb": "ListRecords", "metadataPrefix": metadata, "set": set_spec}
    resumed = bool(state.resumption_token)
    if progress and resumed:
        progress(f"resuming after page {state.pages} with the stored resumption token")
    with _logged(run, report, client):
        while True:
            if state.resumption_token:
                params = {"verb": "ListRecords", "resumptionToken": state.resumption_token}
            else:
                params = dict(base)
                if state.started_from:
                    params["from"] = state.started_from.isoformat()
            parse = _checked(_oai_parser(params))
            try:
                page = database.ride_out(
                    partial(client.get, settings.DAILYPAPERS_ARXIV_OAI_URL, params, parse)
                )
            except oai.OaiError as exc:
                if exc.code != "badResumptionToken" or not state.resumption_token:
                    raise ArxivError(f"OAI-PMH error {exc.code}: {exc}") from None
                restart = state.last_datestamp or state.started_from
                if progress:
                    progress(f"resumption token expired; restarting from {restart}")
                state.resumption_token, state.started_from = "", restart
                continue
            state = database.ride_out(partial(_save_page, state, page, report))
            database.ride_out(partial(save_run, run, report, requests=client.requests))
            if progress:
                progress(f"page done: {report.summary()}")
            if not page.resumption_token:
                break
    finished = IngestRun.Status.SUCCEEDED
    database.ride_out(partial(save_run, run, report, finished, report.summary(), client.requests))
    return report


def _save_page(state: HarvestState, page: oai.OaiPage, report: Report) -> HarvestState:
    """Write a page's papers and move the checkpoint past it in one transaction; returns the
    new checkpoint. ``state`` and ``report`` change only once it committed, so that after a
    lost connection the same call can run again."""
    done, state = Report(), copy.copy(state)
    with transaction.atomic():
        _write(page.records, done)
        done.read += len(page.deleted) + len(page.errors)
        done.deleted += papers.hide_deleted(page.deleted)
        done.errors += page.errors
        state.pages += 1
        if page.last_datestamp:
            state.last_datestamp = max(filter(None, [state.last_datestamp, page.last_datestamp]))
        state.resumption_token = page.resumption_token or ""
        if not page.resumption_token:
            state.harvested_until = state.last_datestamp or state.harvested_until
            state.started_from, state.last_datestamp, state.pages = None, None, 0
        state.save()
    report.merge(done)
    return state


def _oai_parser(params: dict[str, str]) -> Callable[[bytes], oai.OaiPage]:
    mid_list = "resumptionToken" in params

    def parse(body: bytes) -> oai.OaiPage:
        page = oai.parse_list_records(body)
        if mid_list and not page.records and page.complete_list_size is None:
            # A page in the middle of a list without records or a resumptionToken element is
            # not the end of the list: arXiv sent a broken page. Never read it as "done".
            raise BadResponse("empty page in the middle of a result set")
        return page

    return parse


# --- writing ----------------------------------------------------------------------------------


def _write(records: list[PaperRecord], report: Report, count_read: bool = True) -> None:
    if count_read:
        report.read += len(records)
    if records:
        counts, _ = store.upsert_papers(records, want_ids=False)
        report.add(counts)
