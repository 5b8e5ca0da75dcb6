"""The vector files' reader: every process maps the current generation (see the package's
docstring) and searches it, remapping when ``CURRENT`` changes."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from ...models import DIM

if TYPE_CHECKING:
    from usearch.index import Index

# The graph, chosen on bench/vector_index.py at 240k (5k real abstracts + stand-ins, 400
# real queries; figures from its JSON, --sweep for the storage and links). Candidates are
# re-scored with the float32 rows, so the graph's own distances need only find them:
# - int8 storage: recall@10 0.981 / @100 0.956, as float32's 0.981 / 0.957 and float16's
#   0.975 / 0.955, at a third of float32's size (122 MB) and the fastest build (59 s against
#   94 and 135 s); at 60k side by side, searched in 0.20 ms against 0.53 and 0.34. In the
#   graph's own order, without re-scoring, its recall@10 would be 0.92;
# - 16 links per node: 32 lift recall@10 to 0.986 (float16) for 1.6x the build time;
# - a search walks max(EXPANSION_SEARCH, candidates) nodes: 128 for recall@10 0.982, where
#   64 gives 0.955 and 256 gives 0.990 in 1.8x the time (0.63 against 0.35 ms);
# - OVERSAMPLE x limit candidates: 2 rather than 1.5 lifts recall@100 from 0.938 to 0.957
#   (float16 graph) for 0.3 ms.
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
OVERSAMPLE = 2.0
INDEX_DTYPE = "i8"
# What an HNSW candidate costs (2.4 us at 240k) against an exact scan, per row: as much as
# GATHER_COST rows gathered (measured 15-30 with one BLAS thread, under 1 with two threads on
# two busy cores, where each product waits for a core) or SCAN_COST rows of a whole-matrix
# scan (measured 49-52 with one thread). A search takes whichever is cheapest: e.g. the exact
# scan rather than 12,800 candidates for an unfiltered limit of 6,400 at 240k.
GATHER_COST = 8
SCAN_COST = 48
_GATHER = 4_096  # rows copied at a time for an exact scan of some rows (6 MB)


class Generation:
    """One published generation, mapped: the base rows not ``dead``, and the delta."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.model: str | None = None
        self.base_dir = directory
        self.index: Index | None = None
        empty = (np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32))
        self.ids, self.vectors = empty  # the base
        self.delta_ids, self.delta_vectors = empty
        if directory is not None and not (directory / "meta.json").exists():
            # Written before deltas existed: a bare matrix, rebuilt by the next publish.
            self.ids, self.vectors = _load_rows(directory)
        elif directory is not None:
            meta = json.loads((directory / "meta.json").read_text())
            self.model, self.base_dir = meta["model"], directory.parent / meta["base"]
            self.ids, self.vectors = _load_rows(self.base_dir)
            self.delta_ids, self.delta_vectors = _load_rows(directory)
            if meta["hnsw"]:
                path = str(self.base_dir / "hnsw.usearch")
                self.index = usearch().restore(path, view=True, expansion_search=EXPANSION_SEARCH)
                if self.index is None:
                    raise ValueError(f"not a usearch index: {path}")
        dead = directory / "dead.npy" if directory is not None else None
        self.dead = np.load(dead) if dead and dead.exists() else np.zeros(len(self.ids), bool)
        self.alive = ~self.dead
        self.live = int(self.alive.sum())
        self.count = self.live + len(self.delta_ids)

    def nearest(
        self, vector: np.ndarray, limit: int, among: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        q = np.asarray(vector, dtype=np.float32).reshape(DIM)
        if among is None:
            ids, scores = self._base_nearest(q, limit, None)
            delta = _exact(self.delta_vectors, q, limit)
        else:
            # An array as it is: iterating one costs more than the search (120k ids: 10 ms).
            wanted = (
                among.astype(np.int64, copy=False)
                if isinstance(among, np.ndarray)
                else np.fromiter(among, dtype=np.int64, count=len(among))
            )
            rows = _rows_of(self.ids, wanted)
            ids, scores = self._base_nearest(q, limit, rows[~self.dead[rows]])
            delta = _exact(self.delta_vectors, q, limit, _rows_of(self.delta_ids, wanted))
        ids = np.concatenate([ids, self.delta_ids[delta[0]]])
        scores = np.concatenate([scores, delta[1]])
        top = _top(scores, limit)
        return list(zip(ids[top].tolist(), scores[top].tolist(), strict=True))

    def vectors_of(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The live rows of the sorted, distinct ``wanted`` ids (a delta row replaces its
        base row), ids ascending."""
        base = _rows_of(self.ids, wanted)
        base = base[self.alive[base]]
        delta = _rows_of(self.delta_ids, wanted)
        ids = np.concatenate([self.ids[base], self.delta_ids[delta]])
        matrix = np.concatenate([self.vectors[base], self.delta_vectors[delta]])
        order = np.argsort(ids, kind="stable")
        return ids[order], matrix[order]

    def _base_nearest(
        self, q: np.ndarray, limit: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and exact similarities of up to ``limit`` nearest live base rows (only those of
        ``rows``, if given), by the cheapest way: the graph, or an exact scan of the rows
        (gathered) or of the whole matrix."""
        allowed = self.live if rows is None else len(rows)
        if not allowed:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if rows is None:
            mask = self.alive
        else:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[rows] = True
        # What each exact scan costs, counted in HNSW candidates.
        gather, scan = allowed / GATHER_COST, len(self.ids) / SCAN_COST
        if self.index is not None:
            # Enough candidates for ``limit`` to pass if the allowed rows are spread evenly;
            # doubled while too few pass (they lie away from the query).
            wanted = math.ceil(limit * len(self.ids) / allowed * OVERSAMPLE)
            while wanted < min(gather, scan):
                keys = self.index.search(q, wanted).keys.astype(np.int64)
                keys = keys[mask[keys]]
                if len(keys) >= limit:
                    # The graph ranks by int8 distances: re-score with the float32 rows.
                    scores = self.vectors[keys] @ q
                    top = _top(scores, limit)
                    return self.ids[keys[top]], scores[top]
                wanted *= 2
        if rows is not None and gather < scan:
            found, scores = _exact(self.vectors, q, limit, rows)
            return self.ids[found], scores
        scores = self.vectors @ q
        scores[~mask] = -np.inf
        top = _top(scores, min(limit, allowed))
        return self.ids[top], scores[top]


def _load_rows(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.load(directory / "ids.npy", mmap_mode="r"),
        np.load(directory / "vectors.npy", mmap_mode="r"),
    )


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The rows of sorted, distinct ``ids`` that hold one of the ``wanted`` ids (any order,
    repeats allowed), ascending."""
    if len(wanted) * 16 >= len(ids):  # many: one pass over ``ids`` (0.5 ms at 240k)
        return np.flatnonzero(np.isin(ids, wanted))
    rows = np.searchsorted(ids, wanted)  # few: a binary search each
    present = rows < len(ids)
    present[present] = ids[rows[present]] == wanted[present]
    return np.unique(rows[present])


def _exact(
    matrix: np.ndarray, q: np.ndarray, limit: int, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers and similarities of the ``limit`` rows (of ``rows``) nearest ``q``."""
    if rows is None:
        scores = matrix @ q
        top = _top(scores, limit)
        return top, scores[top]
    # Gathered a block at a time: a bounded copy, still in cache for the product.
    scores = np.concatenate(
        [matrix[rows[i : i + _GATHER]] @ q for i in range(0, len(rows), _GATHER)]
        or [np.zeros(0, dtype=np.float32)]
    )
    top = _top(scores, limit)
    return rows[top], scores[top]


def _top(scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the ``limit`` highest scores, highest first."""
    if limit < len(scores):
        top = np.argpartition(-scores, limit - 1)[:limit]
    else:
        top = np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


_lock = threading.Lock()
_mapped: Generation | None = None  # this process's mapping of the current generation


def root() -> Path:
    """The folder of the published files."""
    return Path(settings.HOME) / "vectors"


def pointer(folder: Path) -> str:
    """The name of the current generation in ``folder``; empty before a first publish."""
    try:
        return (folder / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def current() -> Generation:
    """This process's mapping of the current generation, remapped when it changes."""
    global _mapped
    folder = root()
    name = pointer(folder)
    with _lock:
        while _mapped is None or _mapped.directory != (folder / name if name else None):
            try:
                _mapped = Generation(folder / name if name else None)
            except FileNotFoundError:
                # A publish replaced it and removed its files since we read CURRENT.
                newer = pointer(folder)
                if newer == name:
                    raise
                name = newer
        return _mapped


def usearch() -> type[Index]:
    """usearch's Index, imported on first use, after onnxruntime: the other way round,
    onnxruntime's native library crashes the process as it loads (usearch 2.26.6, onnxruntime
    1.32.0). Neither is imported with the app: a process that forks workers (gunicorn's
    master) must not hold onnxruntime's native thread, or every worker hangs as it exits."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index
