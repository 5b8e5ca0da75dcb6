"""The keyword index's upkeep: the index is derived from the paper table, never the other way.

Every insert, update and delete of a paper leaves a row in ``search_indexchange`` (triggers on
the paper table: migrations ``search.0003`` for SQLite, ``0004`` for PostgreSQL), whatever
wrote it: an import's raw SQL, the admin, a moderator's hide, a cascade. That outbox, rather
than a ``modified_at`` high-water mark, because it also sees deletes, and updates that leave
``modified_at`` alone (``QuerySet.update``, raw SQL). :func:`sync`, the worker's
``index_papers`` task (enqueued whenever papers change), re-indexes the papers noted and then
deletes the rows it handled: a crash at any point leaves them for the next run, and indexing a
paper twice is harmless.

* SQLite: a tantivy directory beside the database (``tantivy_index``).
* PostgreSQL: BM25 postings in tables (``postgres_text``).
"""

from __future__ import annotations

from django.db import connection, transaction

from . import postgres_text, tantivy_index
from .models import IndexChange


def sync() -> int:
    """Index the papers changed since the last sync; how many (0 when another process is
    at it: it, or the task enqueued for these changes, will see them)."""
    if connection.vendor == "sqlite":
        tantivy_index.current()  # a first index queues every paper: this sync takes them
    up_to = IndexChange.objects.order_by("-id").values_list("id", flat=True).first()
    if up_to is None:
        return 0
    queued = IndexChange.objects.filter(id__lte=up_to)
    ids = sorted(set(queued.values_list("paper_id", flat=True)))
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:  # one sync at a time: postings stay single
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('search.sync'))")
            postgres_text.sync(ids)
            queued.delete()
    elif tantivy_index.update(ids):
        queued.delete()
    else:
        return 0
    return len(ids)


def rebuild() -> int:
    """Index every visible paper from scratch; how many. The changes queued before it began
    are in the new index; later ones stay queued for the next sync."""
    up_to = IndexChange.objects.order_by("-id").values_list("id", flat=True).first()
    if connection.vendor == "postgresql":
        count = postgres_text.rebuild()
    else:
        count = tantivy_index.rebuild()
    if up_to is not None:
        IndexChange.objects.filter(id__lte=up_to).delete()
    return count


def pending() -> int:
    """Papers changed and not in the index yet."""
    return IndexChange.objects.values("paper_id").distinct().count()
