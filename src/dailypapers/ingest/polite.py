"""GET requests to someone else's server, politely, for every process of the installation:

* one request at a time per service, at least ``interval`` seconds apart: the slot is a row
  lock in the database (:class:`RateLimiter`), so workers on several machines share it;
* retries with exponential backoff on 429/500/502/503/504, connection errors, time-outs and
  bodies that cannot be right, honouring ``Retry-After`` (which holds back every other
  process too); asked to wait longer than ``max_wait``, a run gives up instead of holding its
  worker, and no process asks again before the server's time;
* a body over ``max_bytes`` is refused as it streams in, never held whole.

arXiv (``arxiv_client``) and the upstreams (``upstream_client``) are the two services.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
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


class Unreachable(RuntimeError):
    """The server could not be reached or kept failing; the message says what happened."""


class BadResponse(ValueError):
    """A response body that cannot be right (truncated XML, an empty page mid-list): retried."""


class TooLarge(ValueError):
    """A body over the client's ``max_bytes``: refused, not retried."""


@dataclass(frozen=True)
class Answer:
    """A response that is not an error: its status (2xx, or 304), headers and whole body."""

    status: int
    headers: httpx.Headers
    body: bytes


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

    The state lives in the RateLock row ``name``, locked for each check (``select_for_update``
    on PostgreSQL, the write lock of an IMMEDIATE transaction on SQLite). A holder that died
    keeps the slot only until its lease runs out. Raises ``error`` rather than wait more than
    ``max_wait`` seconds for the slot.
    """

    def __init__(
        self,
        clock: Clock,
        interval: float,
        name: str = "arxiv",
        lease: float = 120,
        max_wait: float = 300,
        error: type[Unreachable] = Unreachable,
        service: str = "arXiv",
    ):
        self.clock, self.interval, self.name, self.lease = clock, interval, name, lease
        self.max_wait = max(max_wait, interval)
        self.error, self.service = error, service
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
                    raise self.error(
                        f"{self.service} asked to wait until "
                        f"{lock.next_allowed_at:%Y-%m-%d %H:%M:%S %Z}; trying again later"
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


class PoliteClient:
    """GET requests to one service under its installation-wide rate limit, with retries."""

    error: type[Unreachable] = Unreachable  # what a failure raises
    # Whether a server that cannot be connected to at all is asked again at once (arXiv), or
    # left until the next scheduled run, so that its time-outs do not hold the worker.
    retry_unconnected = True

    def __init__(
        self,
        service: str,
        limiter: RateLimiter,
        http: httpx.Client,
        max_attempts: int,
        backoff: float,
        max_bytes: int,
    ) -> None:
        self.service, self.limiter, self.http = service, limiter, http
        self.clock = limiter.clock
        self.max_attempts, self.backoff, self.max_bytes = max_attempts, backoff, max_bytes
        self.requests = 0

    def fetch(
        self,
        url: str,
        params: dict[str, str],
        parse: Callable[[Answer], T],
        headers: dict[str, str] | None = None,
    ) -> T:
        """GET ``url`` and parse the answer; retry what outages look like.

        ``parse`` raising :class:`BadResponse` (or the XML error of a cut-off body) counts as a
        failed attempt. Raises ``self.error`` when every attempt failed, or at once when the
        server asks to wait longer than the limiter's ``max_wait``; :class:`TooLarge` at once.
        """
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            problem, retry_after = "", 0.0
            self.limiter.acquire()
            try:
                self.requests += 1
                with self.http.stream("GET", url, params=params, headers=headers) as response:
                    if response.status_code in RETRY_STATUS:
                        problem = f"HTTP {response.status_code}"
                        retry_after = _retry_after(response.headers, self.clock)
                    elif response.status_code >= 400:
                        text = _read(response, 200, cut=True).decode(errors="replace")
                        raise self.error(
                            f"{self.service} answered HTTP {response.status_code} for "
                            f"{response.url}: {text}"
                        )
                    else:
                        # The last request of the server's window: wait for the next one.
                        retry_after = _quota_reset(response.headers, spent=True)
                        body = _read(response, self.max_bytes)
                        return parse(Answer(response.status_code, response.headers, body))
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if not self.retry_unconnected and isinstance(exc, _UNCONNECTED):
                    raise self.error(f"{self.service} cannot be reached ({problem})") from None
            except BadResponse as exc:
                problem = f"bad response: {exc}"
            finally:
                # Back off exponentially after a failure; Retry-After holds every process.
                backoff = self.backoff * 2 ** (attempt - 1) if problem else 0
                backoff = min(backoff, self.limiter.max_wait)
                self.limiter.release(extra_wait=max(retry_after, backoff))
            log.warning(
                "%s request to %s failed (attempt %d): %s", self.service, url, attempt, problem
            )
            if retry_after > self.limiter.max_wait:
                raise self.error(
                    f"{self.service} answered {problem} and asked to wait {retry_after:.0f} s "
                    f"({url}); trying again later"
                )
        raise self.error(
            f"{self.service} kept failing after {self.max_attempts} attempts ({url}); "
            f"last error: {problem}"
        )


_UNCONNECTED = (httpx.ConnectError, httpx.ConnectTimeout)


def user_agent() -> str:
    return (
        f"dailypapers/0.1 (self-hosted paper discovery; "
        f"mailto:{settings.DAILYPAPERS_CONTACT_EMAIL})"
    )


def _read(response: httpx.Response, limit: int, cut: bool = False) -> bytes:
    """The body, streamed: TooLarge past ``limit`` bytes (or the first ``limit`` if ``cut``)."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if cut:
                return b"".join(chunks)[:limit]
            raise TooLarge(f"the answer is over {limit / 2**20:g} MB; refused")
    return b"".join(chunks)


def _retry_after(headers: httpx.Headers, clock: Clock) -> float:
    """Seconds to wait before the next request: ``Retry-After`` (delta-seconds or an HTTP
    date), else the reset of the quota window if it is spent (:func:`_quota_reset`; Hugging
    Face sends the header on every answer, a 503 with requests left too)."""
    value = (headers.get("Retry-After") or "").strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit()
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return _quota_reset(headers, spent=True)
    return max(0.0, (when - clock.now()).total_seconds())


_RATELIMIT = re.compile(r"\br\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)")


def _quota_reset(headers: httpx.Headers, spent: bool = False) -> float:
    """Seconds until the quota window resets, from the IETF draft's ``RateLimit`` header that
    Hugging Face sends (``"api";r=0;t=55``: 0 requests remain, the window resets in 55 s);
    with ``spent``, only when no request remains. 0 without the header."""
    match = _RATELIMIT.search(headers.get("RateLimit", ""))
    if match is None or (spent and int(match[1]) > 0):
        return 0.0
    return float(match[2])
