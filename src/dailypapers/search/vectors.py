"""Nearest papers to a vector, by cosine similarity (all vectors are L2-normalised).

* PostgreSQL: pgvector's HNSW index on ``search_embedding.vector``.
* SQLite (the embedded default): an exact scan with NumPy over a float32 matrix that
  ``publish()`` writes from the ``search_embedding`` table to ``$DAILYPAPERS_HOME/vectors``
  and every process memory-maps, so gunicorn workers share one copy in the page cache.
  240k papers x 384 dimensions is 370 MB and one scan takes ~15 ms; beyond a few hundred
  thousand papers, move to PostgreSQL.

Files are published as a new generation directory plus an atomically replaced ``CURRENT``
pointer: a reader never sees half a matrix, and a process that still maps an old generation
keeps a valid view until it notices ``CURRENT`` changed.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from .models import DIM, Embedding, to_db

TABLE = Embedding._meta.db_table


def nearest(vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """``(paper id, cosine similarity)`` of the ``limit`` papers closest to ``vector``,
    closest first."""
    if connection.vendor == "postgresql":
        return _pg_nearest(vector, limit)
    return _matrix().nearest(vector, limit)


def vector_of(paper_id: int) -> np.ndarray | None:
    """A paper's stored embedding, if it has one."""
    return Embedding.objects.filter(paper_id=paper_id).values_list("vector", flat=True).first()


def is_empty() -> bool:
    """Whether no paper can be found by vector yet (nothing embedded, or not published)."""
    if connection.vendor == "postgresql":
        return not Embedding.objects.exists()
    return not len(_matrix().ids)


def count() -> int:
    """How many papers the vector index can return."""
    if connection.vendor == "postgresql":
        return Embedding.objects.count()
    return len(_matrix().ids)


def _pg_nearest(vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
    with transaction.atomic(), connection.cursor() as cursor:
        # HNSW returns at most ef_search rows (default 40): widen it to what we ask for.
        cursor.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(limit), 1000))}")
        cursor.execute(
            f"SELECT paper_id, 1 - (vector <=> %s::vector) AS similarity FROM {TABLE} "
            "ORDER BY vector <=> %s::vector LIMIT %s",
            [to_db(vector, "postgresql")] * 2 + [limit],
        )
        return [(pk, float(similarity)) for pk, similarity in cursor.fetchall()]


class Matrix:
    """One published generation: ``ids[i]`` is the paper whose vector is row ``i``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        if directory is None:
            self.ids = np.zeros(0, dtype=np.int64)
            self.vectors = np.zeros((0, DIM), dtype=np.float32)
        else:
            self.ids = np.load(directory / "ids.npy", mmap_mode="r")
            self.vectors = np.load(directory / "vectors.npy", mmap_mode="r")

    def nearest(self, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        if not len(self.ids):
            return []
        scores = self.vectors @ vector.astype(np.float32)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return list(zip(self.ids[top].tolist(), scores[top].tolist(), strict=True))


_lock = threading.Lock()
_mapped: tuple[str, Matrix] | None = None  # (generation name, its mapping) in this process


def _root() -> Path:
    return Path(settings.HOME) / "vectors"


def _matrix() -> Matrix:
    """This process's mapping of the current generation, remapped when it changes."""
    global _mapped
    try:
        current = (_root() / "CURRENT").read_text().strip()
    except FileNotFoundError:
        current = ""
    with _lock:
        if _mapped is None or _mapped[0] != current:
            _mapped = (current, Matrix(_root() / current if current else None))
        return _mapped[1]


def publish(model: str) -> int:
    """Write every ``model`` embedding to a new matrix generation and make it current (SQLite
    only; PostgreSQL reads the table directly). Returns the number of vectors."""
    if connection.vendor == "postgresql":
        return Embedding.objects.filter(model=model).count()
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.time_ns()}"
    tmp = root / f".{name}"
    tmp.mkdir()
    rows = Embedding.objects.filter(model=model)
    total = rows.count()
    ids = np.lib.format.open_memmap(tmp / "ids.npy", "w+", np.int64, (total,))
    vectors = np.lib.format.open_memmap(tmp / "vectors.npy", "w+", np.float32, (total, DIM))
    n = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT paper_id, vector FROM {TABLE} WHERE model = %s ORDER BY paper_id",
            [model],
        )
        while batch := cursor.fetchmany(10_000):
            batch = batch[: total - n]  # rows added since the count wait for the next publish
            ids[n : n + len(batch)] = [pk for pk, _ in batch]
            vectors[n : n + len(batch)] = np.frombuffer(
                b"".join(blob for _, blob in batch), dtype=np.float32
            ).reshape(-1, DIM)
            n += len(batch)
            if n == total:
                break
    ids.flush()
    vectors.flush()
    del ids, vectors
    os.rename(tmp, root / name)
    pointer = root / "CURRENT.tmp"
    pointer.write_text(name)
    os.replace(pointer, root / "CURRENT")
    for old in root.glob("gen-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)  # mapped copies stay valid until unmapped
    return n
