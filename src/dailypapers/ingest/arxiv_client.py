"""The one HTTP client for arXiv (API, OAI-PMH, RSS), holding arXiv's rules for the whole
installation (https://info.arxiv.org/help/api/tou.html):

* one request at a time and at most one every ``DAILYPAPERS_ARXIV_MIN_INTERVAL`` seconds (3),
  across every process: the slot is a row lock in the database (:class:`RateLimiter`);
* retries with exponential backoff on 429/500/502/503/504, connection errors and truncated
  bodies, honouring ``Retry-After`` (which also holds back every other process); a run asked
  to wait longer than ``DAILYPAPERS_ARXIV_MAX_WAIT`` gives up instead of holding its worker,
  and no process asks again before arXiv's time;
* a descriptive User-Agent with the operator's contact address.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.infra import processes

from .models import RateLock

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_STATUS = {429, 500, 502, 503, 504}
_holding: set[str] = set()  # the limiters of this process that hold the slot now


class ArxivError(RuntimeError):
    """arXiv could not be reached or kept failing; the message says what happened."""


class BadResponse(ValueError):
    """A response body that cannot be right (truncated XML, an empty page mid-list): retried."""


class Clock(Protocol):
    def now(self) -> dt.datetime: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return timezone.now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class RateLimiter:
    """Grants one request slot at a time, installation-wide, spaced ``interval`` seconds apart.

    The state lives in one RateLock row, locked for each check (``select_for_update`` on
    PostgreSQL, the write lock of an IMMEDIATE transaction on SQLite). A holder that died keeps
    the slot only until its lease runs out. Raises ArxivError rather than wait more than
    ``max_wait`` seconds for the slot.
    """

    def __init__(
        self,
        clock: Clock,
        interval: float,
        name: str = "arxiv",
        lease: float = 120,
        max_wait: float = 300,
    ):
        self.clock, self.interval, self.name, self.lease = clock, interval, name, lease
        self.max_wait = max(max_wait, interval)
        self.me = processes.holder_name()

    def acquire(self) -> None:
        while True:
            with transaction.atomic():
                lock = self._row()
                now = self.clock.now()
                free = (
                    not lock.holder
                    or (lock.lease_until is not None and lock.lease_until <= now)
                    or processes.is_dead(lock.holder)
                    # Of this process but not held: its release was cut off (a lost connection).
                    or (processes.is_mine(lock.holder) and lock.holder not in _holding)
                )
                ready = lock.next_allowed_at is None or lock.next_allowed_at <= now
                if free and ready:
                    lock.holder = self.me
                    lock.lease_until = now + dt.timedelta(seconds=self.lease)
                    lock.save(update_fields=["holder", "lease_until"])
                    _holding.add(self.me)
                    return
                wait = 0.0
                if lock.next_allowed_at and not ready:
                    wait = (lock.next_allowed_at - now).total_seconds()
                if wait > self.max_wait:
                    raise ArxivError(
                        f"arXiv asked to wait until {lock.next_allowed_at:%Y-%m-%d %H:%M:%S %Z}; "
                        "trying again later"
                    )
            self.clock.sleep(max(wait, 0.0 if free else 0.2))

    def release(self, extra_wait: float = 0.0) -> None:
        """Free the slot; the next request may start ``interval`` (or ``extra_wait``) from now."""
        try:
            with transaction.atomic():
                lock = self._row()
                wait = max(self.interval, extra_wait)
                lock.next_allowed_at = self.clock.now() + dt.timedelta(seconds=wait)
                if lock.holder == self.me:
                    lock.holder, lock.lease_until = "", None
                lock.save(update_fields=["holder", "lease_until", "next_allowed_at"])
        finally:
            _holding.discard(self.me)

    def _row(self) -> RateLock:
        RateLock.objects.get_or_create(name=self.name)
        return RateLock.objects.select_for_update().get(name=self.name)


class ArxivClient:
    """GET requests to arXiv under the installation-wide rate limit, with retries."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        interval: float | None = None,
        max_attempts: int | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(settings.DAILYPAPERS_ARXIV_TIMEOUT),
            headers={"User-Agent": user_agent()},
            follow_redirects=True,
        )
        self.limiter = RateLimiter(
            self.clock,
            settings.DAILYPAPERS_ARXIV_MIN_INTERVAL if interval is None else interval,
            max_wait=settings.DAILYPAPERS_ARXIV_MAX_WAIT,
        )
        self.max_attempts = max_attempts or settings.DAILYPAPERS_ARXIV_MAX_ATTEMPTS
        self.requests = 0

    def get(self, url: str, params: dict[str, str], parse: Callable[[bytes], T]) -> T:
        """GET ``url`` and parse the body; retry what arXiv's outages look like.

        ``parse`` raising :class:`BadResponse` (or the XML error of a cut-off body) counts as a
        failed attempt. Raises :class:`ArxivError` when every attempt failed, or at once when
        arXiv asks to wait longer than the limiter's ``max_wait``.
        """
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            problem, retry_after = "", 0.0
            self.limiter.acquire()
            try:
                self.requests += 1
                response = self.http.get(url, params=params)
                if response.status_code in RETRY_STATUS:
                    problem = f"HTTP {response.status_code}"
                    retry_after = _retry_after(response.headers.get("Retry-After"), self.clock)
                elif response.status_code >= 400:
                    raise ArxivError(
                        f"arXiv answered HTTP {response.status_code} for {response.url}: "
                        f"{response.text[:200]}"
                    )
                else:
                    return parse(response.content)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            except BadResponse as exc:
                problem = f"bad response: {exc}"
            finally:
                # Back off exponentially after a failure; Retry-After holds every process.
                backoff = settings.DAILYPAPERS_ARXIV_BACKOFF * 2 ** (attempt - 1) if problem else 0
                backoff = min(backoff, self.limiter.max_wait)
                self.limiter.release(extra_wait=max(retry_after, backoff))
            log.warning("arXiv request to %s failed (attempt %d): %s", url, attempt, problem)
            if retry_after > self.limiter.max_wait:
                raise ArxivError(
                    f"arXiv answered {problem} and asked to wait {retry_after:.0f} s ({url}); "
                    "trying again later"
                )
        raise ArxivError(
            f"arXiv kept failing after {self.max_attempts} attempts ({url}); last error: {problem}"
        )


def user_agent() -> str:
    return (
        f"dailypapers/0.1 (self-hosted paper discovery; "
        f"mailto:{settings.DAILYPAPERS_CONTACT_EMAIL})"
    )


def _retry_after(value: str | None, clock: Clock) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return 0.0
    if value.strip().isascii() and value.strip().isdigit():  # "²" is a digit to isdigit()
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, (when - clock.now()).total_seconds())
