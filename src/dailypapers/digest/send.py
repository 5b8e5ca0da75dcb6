"""Sending a period's digests with a ledger, so that no failure sends one twice or skips one.

The run first claims the (subscriber, period) ledger rows: unique rows, so a second run in
parallel skips the ones it did not claim itself. Only then does the mail go out, and the row is
marked sent in the same transaction as the papers it carried. A run killed between those two
steps leaves the row "sending"; once its process is gone (or its lease over), the next run
sends again with the same Message-ID, which receiving servers use to drop the duplicate (SMTP
offers nothing stronger).

When the SMTP server cannot be reached the run stops and hands back the rows it had not sent
(no attempt counted: the messages were not at fault), for a later run to send. A lost database
connection is waited out: a message that went out is recorded once the database is back.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import smtplib
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import django
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Mod
from django.utils import timezone

from dailypapers.feed import periods
from dailypapers.infra import database, processes
from dailypapers.papers.models import Paper

from . import compose
from .models import Delivery, SentPaper, Subscriber

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=10)  # a "sending" row older than this belongs to a dead run


@dataclass
class SendReport:
    period: str
    subscribers: int = 0
    sent: int = 0
    empty: int = 0
    already: int = 0
    failed: int = 0
    deferred: int = 0  # left for a later run: the SMTP server could not be reached
    note: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        if self.note:
            return f"{self.period}: {self.note}"
        text = (
            f"{self.period}: {self.subscribers} subscribers, sent {self.sent}, "
            f"empty {self.empty}, already done {self.already}, failed {self.failed}"
        )
        if self.deferred:
            text += f", deferred {self.deferred} (the SMTP server could not be reached)"
        return text


class PermanentFailure(Exception):
    """The address cannot receive mail (5xx): retrying will not help."""


class Unreachable(Exception):
    """The SMTP server cannot be reached (refused, dropped, timed out): no use going on."""


def send_digests(
    frequency: str,
    period: periods.Period | None = None,
    dry_run: bool = False,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
) -> SendReport:
    """Send (or with ``dry_run`` only compose) the digests of ``period`` (by default the one a
    digest sent today covers) to every active subscriber of ``frequency``.

    With ``workers`` > 1 the subscribers are split among that many processes, each with its
    own SMTP session (a run spends most of its time waiting for SMTP replies and building
    MIME messages, which one Python process does one at a time).
    """
    period = period or compose.period_for(frequency, timezone.localdate())
    if workers > 1 and not dry_run:
        return _in_processes(frequency, period, workers)
    edition = compose.Edition.build(frequency, period)
    report = SendReport(edition.key)
    if not compose.announces(period):
        report.note = "no arXiv announcements in this period: no digest"
        return report
    index, count = shard
    subscribers = list(
        Subscriber.objects.active()
        .select_related("user")
        .filter(frequency=frequency)
        .annotate(shard=Mod("pk", count))
        .filter(shard=index)
        .order_by("pk")
    )
    report.subscribers = len(subscribers)
    sent_before = _sent_papers([s.pk for s in subscribers])
    if dry_run:
        for subscriber in subscribers:
            digest = compose.compose(subscriber, edition, sent_before.get(subscriber.pk, set()))
            report.empty += digest.empty
            report.sent += not digest.empty
        return report
    mine = _claim_all(subscribers, edition.key)
    report.already = len(subscribers) - len(mine)
    if not mine:
        return report  # nothing to send: no SMTP session needed
    run = _Run(edition, sent_before, report, get_connection())
    todo = [(s, mine[s.pk]) for s in subscribers if s.pk in mine]
    handled = 0
    try:
        _open(run.connection)  # one SMTP session for the whole run, not one per message
        for subscriber, row in todo:
            _send_one(run, subscriber, row)
            handled += 1
    except Unreachable as exc:
        _hand_back([row for _, row in todo[handled:]], str(exc))
        report.deferred = len(todo) - handled
        report.errors.append(("SMTP server", str(exc)))
        log.warning("digest run stopped, %d left for a later run: %s", report.deferred, exc)
    finally:
        run.connection.close()
    return report


def _in_processes(frequency: str, period: periods.Period, workers: int) -> SendReport:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=django.setup) as pool:
        futures = [
            pool.submit(_send_shard, frequency, period.kind, period.slug, (i, workers))
            for i in range(workers)
        ]
        parts = [f.result() for f in futures]
    total = SendReport(parts[0].period, note=parts[0].note)
    for part in parts:
        for name in ("subscribers", "sent", "empty", "already", "failed", "deferred"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        total.errors += part.errors
    return total


def _send_shard(frequency: str, kind: str, slug: str, shard: tuple[int, int]) -> SendReport:
    return send_digests(frequency, periods.parse(kind, slug), shard=shard)


def _sent_papers(subscriber_ids: list[int]) -> dict[int, set[int]]:
    sent: dict[int, set[int]] = {}
    for sub_id, paper_id in SentPaper.objects.filter(subscriber_id__in=subscriber_ids).values_list(
        "subscriber_id", "paper_id"
    ):
        sent.setdefault(sub_id, set()).add(paper_id)
    return sent


@dataclass
class _Run:
    """What every message of one sending run shares."""

    edition: compose.Edition
    sent_before: dict[int, set[int]]  # papers each subscriber was sent in earlier digests
    report: SendReport
    connection: BaseEmailBackend


def _send_one(run: _Run, subscriber: Subscriber, row: Delivery) -> None:
    """Compose, send and record one digest. Each database step may run again after a lost
    connection; the sending does not."""
    sent_before = run.sent_before.get(subscriber.pk, set())
    digest = database.ride_out(partial(compose.compose, subscriber, run.edition, sent_before))
    report = run.report
    if digest.empty:
        empty = partial(Delivery.objects.filter(pk=row.pk).update, status=Delivery.Status.EMPTY)
        database.ride_out(empty)
        report.empty += 1
        return
    try:
        _deliver(run.connection, compose.build_message(digest, row.message_id))
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    except (PermanentFailure, smtplib.SMTPException) as exc:  # about this message or address
        permanent = isinstance(exc, PermanentFailure)
        error = str(exc) if permanent else f"{type(exc).__name__}: {exc}"
        database.ride_out(partial(_fail, row, subscriber, error, permanent))
        report.failed += 1
        report.errors.append((subscriber.email, str(exc)))
        return
    except OSError as exc:  # refused, reset, timed out (SMTPException is one too: above)
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    database.ride_out(partial(_record_sent, row, subscriber, digest.papers))
    report.sent += 1


def _record_sent(row: Delivery, subscriber: Subscriber, papers: list[Paper]) -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        SentPaper.objects.bulk_create(
            [SentPaper(subscriber=subscriber, paper=p) for p in papers], ignore_conflicts=True
        )


def _open(connection: BaseEmailBackend) -> None:
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None


def _hand_back(rows: list[Delivery], error: str) -> None:
    """Leave claimed rows that were not sent to a later run, without counting the attempt."""
    database.ride_out(
        partial(
            Delivery.objects.filter(
                pk__in=[r.pk for r in rows], status=Delivery.Status.SENDING
            ).update,
            status=Delivery.Status.FAILED,
            last_error=f"not sent: {error}",
            attempts=F("attempts") - 1,
        )
    )


def _claim_all(subscribers: list[Subscriber], key: str) -> dict[int, Delivery]:
    """Claim the ledger rows this run will send: new rows in bulk (a row another run inserted
    first is theirs), and existing rows that failed or whose run died. Claiming ahead is safe:
    a claimed row that a crash leaves unsent is simply sent by the next run."""
    ids = [s.pk for s in subscribers]
    existing = {
        d.subscriber_id: d for d in Delivery.objects.filter(period=key, subscriber_id__in=ids)
    }
    run = processes.holder_name()  # this run's own name: two runs in one process differ too
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(
                subscriber=s,
                period=key,
                status=Delivery.Status.SENDING,
                message_id=compose.message_id(s, key),
                attempts=1,
                claimed_at=now,
                claimed_by=run,
            )
            for s in subscribers
            if s.pk not in existing
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    mine = {
        d.subscriber_id: d
        for d in Delivery.objects.filter(
            period=key, subscriber_id__in=ids, status=Delivery.Status.SENDING, claimed_by=run
        )
    }
    for sub_id, row in existing.items():
        if _take_over(row, now, run):
            mine[sub_id] = row
    return mine


def _take_over(row: Delivery, now: dt.datetime, run: str) -> bool:
    """Claim an existing row if it still needs sending: it failed, or the run sending it died.
    Never a row that is sent, empty, being sent by a live run, or out of attempts."""
    if row.status in (Delivery.Status.SENT, Delivery.Status.EMPTY):
        return False
    live = row.claimed_at > now - LEASE and not processes.is_dead(row.claimed_by)
    if row.status == Delivery.Status.SENDING and live:
        return False
    if row.attempts >= settings.DAILYPAPERS_DIGEST_MAX_ATTEMPTS:
        return False
    # Compare-and-set on the state we read, so that of two runs only one takes it over.
    taken = Delivery.objects.filter(pk=row.pk, status=row.status, claimed_at=row.claimed_at).update(
        status=Delivery.Status.SENDING, claimed_at=now, claimed_by=run, attempts=row.attempts + 1
    )
    return bool(taken)


def _deliver(connection: BaseEmailBackend, message: EmailMessage, tries: int = 3) -> None:
    """Send over the open connection, reconnecting and backing off on transient failures."""
    for attempt in range(1, tries + 1):
        try:
            connection.send_messages([message])
            return
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if min(codes) >= 500:
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from None
            if attempt == tries:
                raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            if attempt == tries:
                raise
        except (smtplib.SMTPServerDisconnected, OSError):
            if attempt == tries:
                raise
        connection.close()
        time.sleep(settings.DAILYPAPERS_DIGEST_RETRY_DELAY * 2 ** (attempt - 1))


def _fail(row: Delivery, subscriber: Subscriber, error: str, permanent: bool) -> None:
    """Record a failed delivery (the subscriber's bounces too); may run again."""
    Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.FAILED, last_error=error)
    if permanent:
        failures, reason = subscriber.failures + 1, subscriber.disabled_reason
        if failures >= settings.DAILYPAPERS_DIGEST_MAX_FAILURES:
            reason = f"mail bounced {failures} times: {error}"
        Subscriber.objects.filter(pk=subscriber.pk).update(
            failures=failures, disabled_reason=reason
        )
        subscriber.failures, subscriber.disabled_reason = failures, reason
    log.warning("digest to %s failed: %s", subscriber.email, error)
