"""The keyword index's upkeep: the index is derived from the paper table, never the other way.

Every insert, update and delete of a paper leaves a row in ``search_indexchange`` (triggers on
the paper table: migrations ``search.0003`` for SQLite, ``0004`` for PostgreSQL), whatever
wrote it: an import's raw SQL, the admin, a moderator's hide, a cascade. That outbox, rather
than a ``modified_at`` high-water mark, because it also sees deletes, and updates that leave
``modified_at`` alone (``QuerySet.update``, raw SQL). :func:`sync`, the worker's
``index_papers`` task (enqueued whenever papers change), re-indexes the papers noted and then
deletes the rows it handled: a crash at any point leaves them for the next run, and indexing a
paper twice is harmless.

The index is the database's keyword engine (``engines.keyword()``): a tantivy directory beside
SQLite, BM25 postings in tables on PostgreSQL.
"""

from __future__ import annotations

from . import engines
from .models import IndexChange


def sync() -> int:
    """Index the papers changed since the last sync; how many (0 when another process is
    at it: it, or the task enqueued for these changes, will see them)."""
    engine = engines.keyword()
    engine.open()  # a first index queues every paper: this sync takes them
    up_to = IndexChange.objects.order_by("-id").values_list("id", flat=True).first()
    if up_to is None:
        return 0
    queued = IndexChange.objects.filter(id__lte=up_to)
    ids = sorted(set(queued.values_list("paper_id", flat=True)))
    return len(ids) if engine.update(ids, then=queued.delete) else 0


def rebuild() -> int:
    """Index every visible paper from scratch; how many. The changes queued before it began
    are in the new index; later ones stay queued for the next sync."""
    up_to = IndexChange.objects.order_by("-id").values_list("id", flat=True).first()
    count = engines.keyword().rebuild()
    if up_to is not None:
        IndexChange.objects.filter(id__lte=up_to).delete()
    return count


def pending() -> int:
    """Papers changed and not in the index yet."""
    return IndexChange.objects.values("paper_id").distinct().count()
