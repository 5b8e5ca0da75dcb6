"""Nearest papers on SQLite (the embedded default): files under ``$DAILYPAPERS_HOME/vectors``
that the ``publisher`` writes from the ``search_embedding`` table and every process maps
(``reader``), so gunicorn workers share one copy in the page cache:

- a *base*: every vector as a float32 matrix in paper-id order (``ids.npy``, ``vectors.npy``,
  ``stamps.npy``: each row's ``embedded_at``) and, from ``publisher.EXACT_BELOW`` rows on, a
  usearch HNSW graph over its row numbers (``hnsw.usearch``, int8);
- a *delta* over that base: the rows added or re-embedded since, scanned exactly, and
  ``dead.npy``, the base rows that were replaced or deleted.

A publish compares each row's ``embedded_at`` with the published one and writes only a new
delta, until the delta and the dead rows pass ``publisher.MERGE_FRACTION`` of the base; then
it builds a new base from the table. Results are always re-scored with the float32 rows, so
every path returns exact similarities.

Each publish writes a new ``gen-*`` directory (its delta, naming its ``base-*``) and then
replaces the ``CURRENT`` pointer atomically: a reader never sees half an index, and a process
that still maps an old generation keeps a valid view (removed files stay mapped) until it
notices ``CURRENT`` changed. Publishers take turns on a file lock.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from ..interfaces import VectorEngine
from . import publisher, reader


class VectorFiles(VectorEngine):
    """The vector engine on SQLite: searches what was last published."""

    def nearest(
        self, vector: np.ndarray, limit: int, among: Collection[int] | None
    ) -> list[tuple[int, float]]:
        return reader.current().nearest(vector, limit, among)

    def vectors_of(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return reader.current().vectors_of(wanted)

    def count(self) -> int:
        return reader.current().count

    def is_empty(self) -> bool:
        return not reader.current().count

    def publish(self, model: str) -> int:
        return publisher.publish(model)

    def held(self) -> AbstractContextManager[Path | None]:
        return publisher.held()

    def restore(self, copy: Path | None) -> str | None:
        return publisher.restore(copy)
