"""Who holds a lease: "host:pid:nonce" names a process, so that a lease taken by a process that
was killed (SIGKILL, power cut) can be taken over at once instead of when it times out.

A process on this machine is alive while its pid runs. One on another machine cannot be asked:
workers write a heartbeat (``beat``), and a worker elsewhere whose heartbeat stopped is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import uuid

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat

HOST_CHARS = 40  # a name must fit django-tasks-db's worker ids (64 characters)
_me: tuple[int, str] = (0, "")


def _host() -> str:
    """This machine's name, a long one shortened with a digest so that it stays unique."""
    host = socket.gethostname()
    if len(host) <= HOST_CHARS:
        return host
    return host[: HOST_CHARS - 9] + "~" + hashlib.sha256(host.encode()).hexdigest()[:8]


def holder_name() -> str:
    """A name for a lease holder in this process."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def me() -> str:
    """This process's own name (a worker's id, the holder of the runs it starts); a forked
    child gets a name of its own."""
    global _me
    if _me[0] != os.getpid():
        _me = (os.getpid(), holder_name())
    return _me[1]


def is_mine(holder: str) -> bool:
    """Whether ``holder`` is a name this process made."""
    host, pid = holder.split(":")[:2] if holder.count(":") >= 2 else ("", "")
    return host == _host() and pid == str(os.getpid())


def is_dead(holder: str) -> bool:
    """Whether ``holder`` was a process on this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != _host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def is_gone(holder: str) -> bool:
    """Whether ``holder`` no longer runs: a dead process here, or a worker elsewhere whose
    last heartbeat is older than ``DAILYPAPERS_WORKER_TIMEOUT`` seconds. Of a process
    elsewhere that writes none (a command) nothing can be told: it is not gone."""
    if holder.partition(":")[0] == _host():
        return is_dead(holder)
    since = timezone.now() - dt.timedelta(seconds=settings.DAILYPAPERS_WORKER_TIMEOUT)
    return WorkerHeartbeat.objects.filter(holder=holder, seen_at__lt=since).exists()


def beat(holder: str) -> None:
    """Record that ``holder`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(holder=holder, defaults={"seen_at": timezone.now()})


def newest_heartbeat() -> dt.datetime | None:
    """When a worker last said it was alive (None: no worker ever ran, or all stopped)."""
    return WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
