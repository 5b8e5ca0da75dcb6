"""This process's embedding model, loaded once, and the embedding of stored papers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dailypapers.papers.models import Paper

from . import vectors
from .encoder import Encoder, ModelUnavailable, paper_text
from .models import Embedding, to_db

_lock = threading.Lock()
_encoders: dict[int, Encoder] = {}

# Where a backfill leaves its progress for other processes: the site's shared cache (a
# database table), one small entry rewritten after every committed batch.
PROGRESS_KEY = "dailypapers.search.embedding.progress"
# A backfill rewrites it every few seconds; an entry this old is read from the tables again.
PROGRESS_TTL = 600


class Progress(NamedTuple):
    """Papers with an up-to-date embedding from the current model, of all papers."""

    embedded: int
    total: int


def encoder(threads: int | None = None) -> Encoder:
    """The model from ``DAILYPAPERS_MODEL_DIR``, computing each call on ``threads`` intra-op
    threads (None: ``DAILYPAPERS_EMBED_THREADS``, what a query wants); raises
    ModelUnavailable saying why not. Only a success is cached, so a model built while the
    server runs is picked up."""
    if not settings.DAILYPAPERS_SEMANTIC_SEARCH:
        raise ModelUnavailable("semantic search is turned off (DAILYPAPERS_SEMANTIC_SEARCH)")
    threads = settings.DAILYPAPERS_EMBED_THREADS if threads is None else threads
    with _lock:
        if threads not in _encoders:
            _encoders[threads] = Encoder.load(
                settings.DAILYPAPERS_MODEL_DIR,
                threads=threads,
                max_tokens=settings.DAILYPAPERS_EMBED_MAX_TOKENS,
            )
        return _encoders[threads]


def embed_query(text: str) -> np.ndarray:
    return encoder().encode([text])[0]


def missing() -> int:
    """Visible or not, how many papers lack an up-to-date embedding from the current model."""
    return _stale(encoder().name).count()


def _stale(model: str) -> QuerySet[Paper]:
    """Papers with no embedding, one from another model, or one made before the paper last
    changed."""
    return Paper.objects.filter(
        Q(embedding__isnull=True)
        | ~Q(embedding__model=model)
        | Q(embedding__embedded_at__lt=F("modified_at"))
    )


def progress() -> Progress | None:
    """``(embedded, total)``: how many papers have an up-to-date embedding from the current
    model, of how many; None when there is no model (or semantic search is off).

    Cheap enough for every page view in any process: a running ``embed_missing`` (the
    ``embed`` command or the worker's task) keeps the figures in the shared cache, one entry
    rewritten after each committed batch. Without an entry less than PROGRESS_TTL old they are
    counted from the tables once (about 0.3 s at 240k papers on SQLite) and kept as long."""
    saved = cache.get(PROGRESS_KEY)
    if isinstance(saved, dict):
        return Progress(saved["embedded"], saved["total"])
    try:
        model = encoder().name
    except ModelUnavailable:
        return None
    return _count_progress(model)


def _count_progress(model: str) -> Progress:
    total = Paper.objects.count()
    return _save_progress(total - _stale(model).count(), total)


def _save_progress(embedded: int, total: int) -> Progress:
    cache.set(PROGRESS_KEY, {"embedded": embedded, "total": total}, PROGRESS_TTL)
    return Progress(embedded, total)


def embed_missing(
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
    workers: int | None = None,
) -> int:
    """Embed every paper that needs it (see ``_stale``), a committed batch at a time, then
    publish the vector index. Returns how many papers were embedded; safe to interrupt and
    to run again.

    Each batch is computed by ``workers`` (None: ``DAILYPAPERS_EMBED_THREADS``) calls at once,
    one text and one core each, on threads of this process: no child processes, so it runs
    the same under the worker and the ``embed`` command, and Ctrl-C (KeyboardInterrupt, or
    the worker's SystemExit) stops it within a fraction of a second, the batch in hand not
    stored. workers=1 runs one call at a time on DAILYPAPERS_EMBED_THREADS intra-op threads,
    as queries do (1.3x slower for a backfill on 2 cores). ``progress()`` shows how far it
    got to any process."""
    workers = settings.DAILYPAPERS_EMBED_THREADS if workers is None else workers
    enc = encoder(threads=1) if workers > 1 else encoder()
    embedded, total = _count_progress(enc.name)
    done, last = 0, 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        # One pass in id order: a paper edited meanwhile waits for the next run.
        todo = _stale(enc.name).filter(id__gt=last).order_by("id")
        rows = list(todo.values_list("id", "title", "abstract")[:size])
        if not rows:
            break
        last = rows[-1][0]
        texts = [paper_text(title, abstract) for _, title, abstract in rows]
        matrix = enc.encode(texts, workers=workers)
        store(enc.name, [pk for pk, _, _ in rows], matrix)
        done += len(rows)
        _save_progress(min(embedded + done, total), total)
        if progress:
            progress(len(rows))
    # Also when nothing was embedded: an earlier publish may have failed (a full disk), leaving
    # the files behind the table. With nothing new it writes nothing.
    vectors.publish(enc.name)
    return done


def store(model: str, ids: list[int], matrix: np.ndarray) -> None:
    """Save ``matrix`` as the papers' embeddings from ``model``, computed now (replacing any)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Embedding._meta.db_table} (paper_id, model, vector, embedded_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (paper_id) DO UPDATE SET "
            "model = excluded.model, vector = excluded.vector, embedded_at = excluded.embedded_at",
            [(pk, model, to_db(v), now) for pk, v in zip(ids, matrix, strict=True)],
        )
