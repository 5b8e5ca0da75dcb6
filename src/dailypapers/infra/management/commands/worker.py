"""`dailypapers worker`: run background tasks from the database queue (django-tasks-db).

A worker is named after its process (``processes.me()``) and writes a heartbeat every
DAILYPAPERS_WORKER_HEARTBEAT seconds. On start and with each heartbeat it queues again the
tasks that a worker which is gone left running (killed on this machine, or silent for
DAILYPAPERS_WORKER_TIMEOUT elsewhere). Such a task runs again from its start, so every task is
safe to repeat: harvests resume from their checkpoint, digests go by their send ledger, the
keyword index and the embeddings by what is still to do. A lost database connection is
waited out, however long it takes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from dailypapers.infra import database, processes
from dailypapers.infra.models import WorkerHeartbeat

log = logging.getLogger("dailypapers.worker")


class Command(BaseCommand):
    help = "Run queued background tasks. Start as many as you like: each task runs once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, interval: float, batch: bool, **options) -> None:
        me = db_worker.validate_worker_id(processes.me())
        database.ride_out(partial(look_after, me), forever=True)
        stop = threading.Event()
        heart = threading.Thread(target=_keep_beating, args=(me, stop), daemon=True)
        heart.start()
        worker = _Worker(
            queue_names=["default"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=me,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            heart.join(timeout=10)  # a beat stuck on a lock must not keep the worker alive
            with contextlib.suppress(DatabaseError):  # stopped cleanly: no task left running
                WorkerHeartbeat.objects.filter(holder=me).delete()


class _Worker(db_worker.Worker):
    def run(self) -> None:
        """Run tasks; after a lost database connection, wait for it and carry on, with the
        task in hand when it broke queued again (its result could not be saved)."""
        while True:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not database.lost(exc):
                    raise
                log.warning("lost the database connection (%s); waiting for it", exc)
                database.wait(forever=True)
                requeue(lambda holder: holder == self.worker_id)


def look_after(me: str) -> int:
    """Write ``me``'s heartbeat and queue again what gone workers left running; how many."""
    processes.beat(me)
    return requeue(processes.is_gone)


def requeue(gone: Callable[[str], bool]) -> int:
    """Queue again the running tasks whose worker is ``gone``; how many."""
    count = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for task in running.only("id", "worker_ids", "started_at"):
        holder = task.worker_ids[-1] if task.worker_ids else ""
        if not holder or not gone(holder):
            continue
        # Only the run that was read: another worker may have queued and claimed it since.
        if running.filter(pk=task.pk, started_at=task.started_at).update(
            status=TaskResultStatus.READY
        ):
            log.warning("task %s was left running by %s: queued again", task.pk, holder)
            count += 1
    return count


def _keep_beating(me: str, stop: threading.Event) -> None:
    while not stop.wait(settings.DAILYPAPERS_WORKER_HEARTBEAT):
        try:
            look_after(me)
        except DatabaseError as exc:
            log.warning("worker heartbeat failed: %s", exc)
            with contextlib.suppress(DatabaseError):
                connection.close()  # this thread's own: the next beat connects afresh
    connection.close()
