"""Rate limits that hold behind a proxy and under load.

* ``CounterCache``: the cache backend django-ratelimit counts in (``RATELIMIT_USE_CACHE``).
  Django's database cache increments by a read and a write, so parallel requests lose counts,
  and it culls a third of its rows past MAX_ENTRIES, so many addresses wipe every counter.
  This one keeps only counters, in their own table, each ``add`` and ``incr`` one statement.
* ``client_ip``: the address limits are counted for (``RATELIMIT_IP_META_KEY``): the
  connection's, or behind ``DAILYPAPERS_TRUSTED_PROXIES`` proxies the one the outermost of
  them saw, from ``X-Forwarded-For``; a client cannot choose its own by sending that header.
* ``posted_email``, ``posted_username``: keys that count per recipient or account.

What each action may spend, and who counts as one client for it, is the table in ``limits``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connection
from django.http import HttpRequest

from .models import RateCounter

TABLE = RateCounter._meta.db_table
NEVER = 2**62  # expiry of a counter without a timeout
CULL_EVERY = 100  # on average, one new counter in this many deletes the expired ones


class CounterCache(BaseCache):
    """Integer counters only: ``add``, ``incr``, ``get``, ``set``, ``delete``, ``clear``."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _put(self, key: Any, value: Any, timeout: Any, version: Any, replace: str) -> bool:
        """Write the counter, or only where ``replace`` (SQL) holds for the row it finds;
        whether a row was written."""
        seconds = self.get_backend_timeout(timeout)  # when it expires, as Unix time
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (name, value, expires) VALUES (%s, %s, %s) ON CONFLICT "
                "(name) DO UPDATE SET value = excluded.value, expires = excluded.expires "
                f"WHERE {replace}",
                [
                    self.make_and_validate_key(key, version=version),
                    int(value),
                    NEVER if seconds is None else int(seconds),
                ],
            )
            return cursor.rowcount == 1

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        """Start the counter at ``value`` unless it runs (an expired one starts again)."""
        now = int(time.time())
        added = self._put(key, value, timeout, version, f"{TABLE}.expires <= {now}")
        if added and random.randrange(CULL_EVERY) == 0:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {TABLE} WHERE expires <= %s", [now])
        return added

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET value = value + %s WHERE name = %s AND expires > %s "
                "RETURNING value",
                [delta, key, int(time.time())],
            )
            row = cursor.fetchone()
        if row is None:
            raise ValueError(f"Key {key!r} not found")  # as Django's caches say it
        return int(row[0])

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {TABLE} WHERE name = %s AND expires > %s",
                [key, int(time.time())],
            )
            row = cursor.fetchone()
        return default if row is None else int(row[0])

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._put(key, value, timeout, version, "TRUE")

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE name = %s", [key])
            return cursor.rowcount > 0

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind N trusted proxies the N-th address
    from the right of ``X-Forwarded-For`` (each proxy appends the one it saw)."""
    proxies = settings.DAILYPAPERS_TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META["REMOTE_ADDR"]


def posted_email(group: str, request: HttpRequest) -> str:
    """The address a form mails (its ``email``), case aside: limits per recipient, beside
    those per client, which many clients escape."""
    return request.POST.get("email", "").strip().lower()


def posted_username(group: str, request: HttpRequest) -> str:
    """The account a log-in tries (its ``username``, which the form authenticates), case
    aside. Only that field: keyed on any other, each try could name a fresh counter."""
    return request.POST.get("username", "").strip().lower()
