"""This process's embedding model, loaded once, and the embedding of stored papers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dailypapers.papers.models import Paper

from . import vectors
from .encoder import Encoder, ModelUnavailable, paper_text
from .models import Embedding, to_db

_lock = threading.Lock()
_encoder: Encoder | None = None


def encoder() -> Encoder:
    """The model from ``DAILYPAPERS_MODEL_DIR``; raises ModelUnavailable saying why not.
    Only a success is cached, so a model built while the server runs is picked up."""
    global _encoder
    if not settings.DAILYPAPERS_SEMANTIC_SEARCH:
        raise ModelUnavailable("semantic search is turned off (DAILYPAPERS_SEMANTIC_SEARCH)")
    with _lock:
        if _encoder is None:
            _encoder = Encoder.load(
                settings.DAILYPAPERS_MODEL_DIR,
                threads=settings.DAILYPAPERS_EMBED_THREADS,
                max_tokens=settings.DAILYPAPERS_EMBED_MAX_TOKENS,
            )
        return _encoder


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


def embed_missing(
    batch_size: int = 256, progress: Callable[[int], None] | None = None, limit: int | None = None
) -> int:
    """Embed every paper that needs it (see ``_stale``), a committed batch at a time, then
    publish the vector index. Returns how many papers were embedded; safe to interrupt and
    to run again."""
    enc = encoder()
    done, last = 0, 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        # One pass in id order: a paper edited meanwhile waits for the next run.
        todo = _stale(enc.name).filter(id__gt=last).order_by("id")
        rows = list(todo.values_list("id", "title", "abstract")[:size])
        if not rows:
            break
        last = rows[-1][0]
        matrix = enc.encode([paper_text(title, abstract) for _, title, abstract in rows])
        _store(enc.name, [pk for pk, _, _ in rows], matrix)
        done += len(rows)
        if progress:
            progress(len(rows))
    if done or not vectors.count():
        vectors.publish(enc.name)
    return done


def _store(model: str, ids: list[int], matrix: np.ndarray) -> None:
    vendor = connection.vendor
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Embedding._meta.db_table} (paper_id, model, vector, embedded_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (paper_id) DO UPDATE SET "
            "model = excluded.model, vector = excluded.vector, embedded_at = excluded.embedded_at",
            [(pk, model, to_db(v, vendor), now) for pk, v in zip(ids, matrix, strict=True)],
        )
