"""Sending a period's digests with a ledger, so that no failure sends one twice or skips one.

For each subscriber the run first claims the (subscriber, period) ledger row: a unique row, so
a second run in parallel skips it. Only then does the mail go out, and the row is marked sent
in the same transaction as the papers it carried. A run killed between those two steps leaves
the row "sending"; once its process is gone (or its lease over), the next run sends again with
the same Message-ID, which receiving servers use to drop the duplicate (SMTP offers nothing
stronger).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers import processes
from dailypapers.feed import periods

from . import compose
from .models import Delivery, SentPaper, Subscriber

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=10)  # a "sending" row older than this belongs to a dead run
ME = processes.holder_name()


@dataclass
class SendReport:
    period: str
    subscribers: int = 0
    sent: int = 0
    empty: int = 0
    already: int = 0
    failed: int = 0
    note: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        if self.note:
            return f"{self.period}: {self.note}"
        return (
            f"{self.period}: {self.subscribers} subscribers, sent {self.sent}, "
            f"empty {self.empty}, already done {self.already}, failed {self.failed}"
        )


class PermanentFailure(Exception):
    """The address cannot receive mail (5xx): retrying will not help."""


def send_digests(
    frequency: str,
    period: periods.Period | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Send (or with ``dry_run`` only compose) the digests of ``period`` (by default the one a
    digest sent today covers) to every active subscriber of ``frequency``."""
    period = period or compose.period_for(frequency, timezone.localdate())
    edition = compose.Edition.build(frequency, period)
    report = SendReport(edition.key)
    if not compose.announces(period):
        report.note = "no arXiv announcements in this period: no digest"
        return report
    subscribers = list(
        Subscriber.objects.filter(
            frequency=frequency,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            disabled_reason="",
        ).order_by("pk")
    )
    report.subscribers = len(subscribers)
    ledger = {d.subscriber_id: d for d in Delivery.objects.filter(period=edition.key)}
    sent_before = _sent_papers([s.pk for s in subscribers])
    connection = None if dry_run else get_connection()
    try:
        for n, subscriber in enumerate(subscribers, 1):
            _send_one(
                subscriber, edition, ledger.get(subscriber.pk), sent_before, report, connection
            )
            if progress and n % 100 == 0:
                progress(100)
    finally:
        if connection is not None:
            connection.close()
    return report


def _sent_papers(subscriber_ids: list[int]) -> dict[int, set[int]]:
    sent: dict[int, set[int]] = {}
    for sub_id, paper_id in SentPaper.objects.filter(subscriber_id__in=subscriber_ids).values_list(
        "subscriber_id", "paper_id"
    ):
        sent.setdefault(sub_id, set()).add(paper_id)
    return sent


def _send_one(subscriber, edition, row, sent_before, report, connection) -> None:
    digest = compose.compose(subscriber, edition, sent_before.get(subscriber.pk, set()))
    if connection is None:  # dry run
        report.sent += 0 if digest.empty else 1
        report.empty += 1 if digest.empty else 0
        return
    row = _claim(subscriber, edition.key, row)
    if row is None:
        report.already += 1
        return
    if digest.empty:
        Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.EMPTY)
        report.empty += 1
        return
    try:
        _deliver(connection, compose.build_message(digest, row.message_id))
    except PermanentFailure as exc:
        _fail(row, subscriber, str(exc), permanent=True)
        report.failed += 1
        report.errors.append((subscriber.email, str(exc)))
        return
    except (smtplib.SMTPException, OSError) as exc:
        _fail(row, subscriber, f"{type(exc).__name__}: {exc}", permanent=False)
        report.failed += 1
        report.errors.append((subscriber.email, str(exc)))
        return
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        SentPaper.objects.bulk_create(
            [SentPaper(subscriber=subscriber, paper=p) for p in digest.papers],
            ignore_conflicts=True,
        )
    report.sent += 1


def _claim(subscriber: Subscriber, key: str, row: Delivery | None) -> Delivery | None:
    """Take the ledger row for this subscriber and period, or None if it is not ours to send:
    already sent or empty, being sent by a live run, or out of attempts."""
    now = timezone.now()
    if row is None:
        try:
            with transaction.atomic():
                return Delivery.objects.create(
                    subscriber=subscriber,
                    period=key,
                    status=Delivery.Status.SENDING,
                    message_id=compose.message_id(subscriber, key),
                    attempts=1,
                    claimed_at=now,
                    claimed_by=ME,
                )
        except IntegrityError:
            return None  # another run claimed it a moment ago
    if row.status in (Delivery.Status.SENT, Delivery.Status.EMPTY):
        return None
    live = row.claimed_at > now - LEASE and not processes.is_dead(row.claimed_by)
    if row.status == Delivery.Status.SENDING and live:
        return None  # another run is sending it right now
    if row.attempts >= settings.DAILYPAPERS_DIGEST_MAX_ATTEMPTS:
        return None
    # Compare-and-set on the state we read, so that of two runs only one takes it over.
    taken = Delivery.objects.filter(pk=row.pk, status=row.status, claimed_at=row.claimed_at).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=row.attempts + 1
    )
    if not taken:
        return None
    row.refresh_from_db()
    return row


def _deliver(connection, message, tries: int = 3) -> None:
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
    Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.FAILED, last_error=error)
    if permanent:
        subscriber.failures += 1
        if subscriber.failures >= settings.DAILYPAPERS_DIGEST_MAX_FAILURES:
            subscriber.disabled_reason = f"mail bounced {subscriber.failures} times: {error}"
        subscriber.save(update_fields=["failures", "disabled_reason"])
    log.warning("digest to %s failed: %s", subscriber.email, error)
