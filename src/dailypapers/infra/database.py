"""Riding out a lost database connection (PostgreSQL restarted, failed over, a network cut).

Django reconnects only between requests: in a long-running process (a worker, a harvest, a
digest run) a broken connection fails every query until it is closed. ``ride_out`` closes it,
waits until a new one works, and runs the step again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

log = logging.getLogger("dailypapers.database")  # named as before infra/, for log filters
T = TypeVar("T")
POLL = 0.5  # seconds between tries to reconnect


def lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection to the database server broke or cannot be made,
    rather than that the database refused a query."""
    if not isinstance(exc, OperationalError | InterfaceError) or connection.vendor == "sqlite":
        return False
    return connection.connection is None or not connection.is_usable()


def wait(forever: bool = False) -> None:
    """Drop the broken connection and wait until a new one works: at most
    ``DAILYPAPERS_DB_OUTAGE_WAIT`` seconds (then the last error is raised), or ``forever``."""
    deadline = time.monotonic() + settings.DAILYPAPERS_DB_OUTAGE_WAIT
    while True:
        with contextlib.suppress(DatabaseError):
            connection.close()
        try:
            connection.ensure_connection()
            return
        except (OperationalError, InterfaceError):
            if not forever and time.monotonic() >= deadline:
                raise
        time.sleep(POLL)


def ride_out(step: Callable[[], T], forever: bool = False) -> T:
    """``step()``, run again once the database is back if its connection was lost. Only for
    steps that may run twice: reads, idempotent writes, one transaction (which, cut off at its
    commit, may or may not have committed)."""
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or not lost(exc):
                raise
            log.warning("lost the database connection (%s); waiting for it to come back", exc)
            wait(forever)
            log.warning("the database is back")
