"""Nearest papers to a vector, by cosine similarity (all vectors are L2-normalised), on the
database's vector engine (``engines.vectors()``): memory-mapped files beside SQLite that
``publish`` brings up to date with the table, pgvector's HNSW index on PostgreSQL.

Besides search, the site's backup calls ``held`` and ``restore_files``.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
from django.db.models import Count

from . import engines
from .models import Embedding


def nearest(
    vector: np.ndarray, limit: int, among: Collection[int] | None = None
) -> list[tuple[int, float]]:
    """``(paper id, cosine similarity)`` of the ``limit`` papers closest to ``vector``,
    closest first; only papers in ``among`` when it is given (e.g. those passing a query's
    filters), then as many of them as have vectors, up to ``limit``."""
    if limit <= 0 or (among is not None and not len(among)):
        return []
    return engines.vectors().nearest(vector, limit, among)


def vector_of(paper_id: int) -> np.ndarray | None:
    """A paper's stored embedding, if it has one."""
    return Embedding.objects.filter(paper_id=paper_id).values_list("vector", flat=True).first()


def vectors_of(paper_ids: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rows)``: the stored vectors (float32, one row each) of those of the papers that
    have one, ids ascending. On SQLite, what the index last published."""
    wanted = np.unique(np.fromiter(paper_ids, dtype=np.int64, count=len(paper_ids)))
    return engines.vectors().vectors_of(wanted)


def is_empty() -> bool:
    """Whether no paper can be found by vector yet (nothing embedded, or not published)."""
    return engines.vectors().is_empty()


def count() -> int:
    """How many papers the vector index can return."""
    return engines.vectors().count()


def publish(model: str) -> int:
    """Bring the vector index up to date with the ``model`` embeddings in the table (on
    SQLite: a new delta, or a new base; PostgreSQL reads the table directly). Returns the
    number of vectors published."""
    return engines.vectors().publish(model)


def held() -> AbstractContextManager[Path | None]:
    """The folder of the published files, for a backup to copy, unchanged until the block
    ends (publishers waiting). None on PostgreSQL and before a first publish."""
    return engines.vectors().held()


def restore_files(copy: Path | None) -> int:
    """Put a backup's ``copy`` of the folder (see ``held``; None: it had none) in place of
    this site's, then publish again from the restored table: the model the copy holds, else
    the one most rows are from. Returns how many vectors are published."""
    engine = engines.vectors()
    model = engine.restore(copy) or (
        Embedding.objects.values("model")
        .annotate(rows=Count("pk"))
        .order_by("-rows")
        .values_list("model", flat=True)
        .first()
    )
    return engine.publish(model) if model else 0
