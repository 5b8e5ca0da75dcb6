"""Nearest papers to a vector, by cosine similarity (all vectors are L2-normalised).

* PostgreSQL: pgvector's HNSW index on ``search_embedding.vector``; a filtered query
  (``among``) scans it iteratively until enough rows pass, or reads a small set exactly.
* SQLite (the embedded default): files under ``$DAILYPAPERS_HOME/vectors`` that ``publish()``
  writes from the ``search_embedding`` table and every process memory-maps, so gunicorn workers
  share one copy in the page cache:

  - a *base*: every vector as a float32 matrix in paper-id order (``ids.npy``,
    ``vectors.npy``, ``stamps.npy``: each row's ``embedded_at``) and, from EXACT_BELOW rows
    on, a usearch HNSW graph over its row numbers (``hnsw.usearch``, int8);
  - a *delta* over that base: the rows added or re-embedded since, scanned exactly, and
    ``dead.npy``, the base rows that were replaced or deleted.

  A publish compares each row's ``embedded_at`` with the published one and writes only a new
  delta, until the delta and the dead rows pass MERGE_FRACTION of the base; then it builds a
  new base from the table. Results are always re-scored with the float32 rows, so every path
  returns exact similarities.

Each publish writes a new ``gen-*`` directory (its delta, naming its ``base-*``) and then
replaces the ``CURRENT`` pointer atomically: a reader never sees half an index, and a process
that still maps an old generation keeps a valid view (removed files stay mapped) until it
notices ``CURRENT`` changed. Publishers take turns on a file lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from .models import DIM, Embedding, to_db

if TYPE_CHECKING:
    from usearch.index import Index

log = logging.getLogger(__name__)
TABLE = Embedding._meta.db_table

# Below this many vectors a base has no graph: HNSW stops being faster there (at limit 100,
# exact against HNSW: 0.11 against 0.16 ms at 5k, 0.21 against 0.18 ms at 10k, 0.80 against
# 0.23 ms at 20k, where the matrix outgrows the CPU cache: bench/vector_index.py), and the
# exact scan is exact and needs no build.
EXACT_BELOW = 10_000
# A delta is merged into a new base once it and the dead base rows pass this share of the
# base. Every query scans the delta exactly (at 5 % of 240k, 12k rows: ~0.5 ms, about what
# the graph search costs) and a merge rebuilds the base (1-1.5 min at 240k on 2 cores):
# merging at a fixed share keeps the rebuilds geometric, each new vector paying for
# 1/0.05 = 20 re-inserted ones, with a busy arXiv day (~1,000 papers) 0.4 % of the base.
MERGE_FRACTION = 0.05
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
# On PostgreSQL up to this many ``among`` ids are read by primary key and scored exactly
# (5 ms at 5,000): a filtered HNSW scan for so few walks much of the graph (500 of 50k
# papers: 55 ms, recall@10 0.98).
PG_EXACT_AMONG = 5_000
_BATCH = 10_000  # rows fetched at a time when reading the table
_GATHER = 4_096  # rows copied at a time for an exact scan of some rows (6 MB)
_CHUNK = 900  # ids per ``IN (...)`` (SQLite's default limit on parameters was 999)


def nearest(
    vector: np.ndarray, limit: int, among: Collection[int] | None = None
) -> list[tuple[int, float]]:
    """``(paper id, cosine similarity)`` of the ``limit`` papers closest to ``vector``,
    closest first; only papers in ``among`` when it is given (e.g. those passing a query's
    filters), then as many of them as have vectors, up to ``limit``."""
    if limit <= 0 or (among is not None and not len(among)):
        return []
    if connection.vendor == "postgresql":
        return _pg_nearest(vector, limit, among)
    return _current().nearest(vector, limit, among)


def vector_of(paper_id: int) -> np.ndarray | None:
    """A paper's stored embedding, if it has one."""
    return Embedding.objects.filter(paper_id=paper_id).values_list("vector", flat=True).first()


def vectors_of(paper_ids: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rows)``: the stored vectors (float32, one row each) of those of the papers that
    have one, ids ascending. On SQLite, what the index last published."""
    wanted = np.unique(np.fromiter(paper_ids, dtype=np.int64, count=len(paper_ids)))
    if connection.vendor == "postgresql":
        return _pg_vectors_of(wanted)
    return _current().vectors_of(wanted)


def is_empty() -> bool:
    """Whether no paper can be found by vector yet (nothing embedded, or not published)."""
    if connection.vendor == "postgresql":
        return not Embedding.objects.exists()
    return not _current().count


def count() -> int:
    """How many papers the vector index can return."""
    if connection.vendor == "postgresql":
        return Embedding.objects.count()
    return _current().count


def _pg_nearest(
    vector: np.ndarray, limit: int, among: Collection[int] | None
) -> list[tuple[int, float]]:
    q = to_db(vector, "postgresql")
    with transaction.atomic(), connection.cursor() as cursor:
        if among is None:
            # HNSW returns at most ef_search rows (default 40): widen it to what we ask for.
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(limit), 1000))}")
            cursor.execute(
                f"SELECT paper_id, 1 - (vector <=> %s::vector) AS similarity FROM {TABLE} "
                "ORDER BY vector <=> %s::vector LIMIT %s",
                [q, q, limit],
            )
            return _pairs(cursor.fetchall())
        ids = [int(pk) for pk in among]
        if len(ids) > PG_EXACT_AMONG:
            # May use the HNSW index: its iterative scan keeps walking the graph until LIMIT
            # rows pass the filter (or hnsw.max_scan_tuples); relaxed order is faster, so
            # re-sort after. The planner may also read the rows by primary key and sort them
            # (at 50k papers it does up to half of them, where that is as fast).
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(100, min(2 * int(limit), 1000))}")
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(
                "WITH hits AS MATERIALIZED (SELECT paper_id, vector <=> %s::vector AS distance "
                f"FROM {TABLE} WHERE paper_id = ANY(%s) ORDER BY distance LIMIT %s) "
                "SELECT paper_id, 1 - distance FROM hits ORDER BY distance",
                [q, ids, limit],
            )
            found = _pairs(cursor.fetchall())
            if len(found) == limit:
                return found
            # The scan gave up (max_scan_tuples) or fewer have vectors: count them exactly.
        # Ordered by similarity, which the HNSW index cannot serve: the planner looks these
        # rows up by primary key and sorts them, an exact answer.
        cursor.execute(
            f"SELECT paper_id, 1 - (vector <=> %s::vector) AS similarity FROM {TABLE} "
            "WHERE paper_id = ANY(%s) ORDER BY similarity DESC LIMIT %s",
            [q, ids, limit],
        )
        return _pairs(cursor.fetchall())


def _pg_vectors_of(wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids: list[int] = []
    rows: list[bytes] = []
    with connection.cursor() as cursor:
        for i in range(0, len(wanted), _BATCH):
            # pgvector's binary form (vector_send: dimensions, unused, big-endian float32s),
            # read in a fifth of the time of its text form (7,000 rows: 50-70 against 310 ms).
            cursor.execute(
                f"SELECT paper_id, vector_send(vector) FROM {TABLE} WHERE paper_id = ANY(%s) "
                "ORDER BY paper_id",
                [wanted[i : i + _BATCH].tolist()],
            )
            for pk, raw in cursor.fetchall():
                ids.append(pk)
                rows.append(bytes(raw)[4:])
    matrix = np.frombuffer(b"".join(rows), dtype=">f4").reshape(-1, DIM).astype(np.float32)
    return np.array(ids, dtype=np.int64), matrix


def _pairs(rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return [(pk, float(similarity)) for pk, similarity in rows]


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
                self.index = _usearch().restore(path, view=True, expansion_search=EXPANSION_SEARCH)
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


def _root() -> Path:
    return Path(settings.HOME) / "vectors"


def _pointer(root: Path) -> str:
    try:
        return (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def _current() -> Generation:
    """This process's mapping of the current generation, remapped when it changes."""
    global _mapped
    root = _root()
    name = _pointer(root)
    with _lock:
        while _mapped is None or _mapped.directory != (root / name if name else None):
            try:
                _mapped = Generation(root / name if name else None)
            except FileNotFoundError:
                # A publish replaced it and removed its files since we read CURRENT.
                newer = _pointer(root)
                if newer == name:
                    raise
                name = newer
        return _mapped


def publish(model: str) -> int:
    """Bring the files up to date with the ``model`` embeddings in the table and make them
    current (SQLite only; PostgreSQL reads the table directly): a new delta, or a new base
    when the delta has grown too large (see MERGE_FRACTION) or the model changed. Returns
    the number of vectors published."""
    if connection.vendor == "postgresql":
        return Embedding.objects.filter(model=model).count()
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    with _publishing(root):
        current = _current()
        try:
            return _write_generation(root, current, model)
        except BaseException as exc:
            # A full disk, say: what it wrote goes, so that the next try finds the space.
            _prune(root, {p.name for p in (current.directory, current.base_dir) if p})
            log.error("vector index: publishing failed (%s); the current one stays", exc)
            raise


def _write_generation(root: Path, current: Generation, model: str) -> int:
    """Publish's work, under its lock: a new delta over ``current``'s base, or a new base."""
    name = f"gen-{time.time_ns()}"
    with transaction.atomic():  # one snapshot of the table for every read below
        ids, stamps = _stamps(model)
        gen, base_dir = current.directory, current.base_dir
        if current.model == model and gen is not None and base_dir is not None:
            base = base_dir.name
            changed, changed_stamps, dead = _diff(current.ids, _stamps_of(base_dir), ids, stamps)
            if (
                np.array_equal(changed, current.delta_ids)
                and np.array_equal(changed_stamps, _stamps_of(gen))
                and np.array_equal(dead, current.dead)
            ):
                return len(ids)  # nothing changed since the last publish
            if len(changed) + dead.sum() <= MERGE_FRACTION * len(current.ids):
                tmp = root / f".{name}"
                _write_rows(tmp, model, changed)
                np.save(tmp / "dead.npy", dead)
                _write_meta(tmp, model, base, current.index is not None)
                os.rename(tmp, root / name)
                _switch(root, name, base)
                return len(ids)
        base = f"base-{time.time_ns()}"
        tmp = root / f".{base}"
        _write_rows(tmp, model, ids, whole=True)
    hnsw = len(ids) >= EXACT_BELOW
    if hnsw:
        _build_index(tmp)
    os.rename(tmp, root / base)
    tmp = root / f".{name}"
    _write_rows(tmp, model, ids[:0])
    _write_meta(tmp, model, base, hnsw)
    os.rename(tmp, root / name)
    _switch(root, name, base)
    return len(ids)


@contextmanager
def _publishing(root: Path) -> Iterator[None]:
    """One publisher at a time across processes: each builds on the generation before it."""
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def held() -> Iterator[Path | None]:
    """The folder of the published files, for a backup to copy: the current generation
    (and what a killed publisher left in dot-folders, which the next publish removes), as
    it is until the block ends, publishers waiting. None on PostgreSQL and before a first
    publish."""
    root = _root()
    if connection.vendor == "postgresql" or not _pointer(root):
        yield None
        return
    with _publishing(root):
        yield root


def restore_files(copy: Path | None) -> int:
    """Put a backup's ``copy`` of the folder (see ``held``; None: it had none) in place of
    this site's, then publish again from the restored table: the model the copy holds, else
    the one most rows are from. A publish compares every row's ``embedded_at`` with the
    files', so only rows that differ are rewritten and the files match the table whenever
    the copy was taken. Returns how many vectors are published."""
    root = _root()
    shutil.rmtree(root, ignore_errors=True)
    if copy is not None:
        shutil.move(copy, root)
    model = _current().model or (
        Embedding.objects.values("model")
        .annotate(rows=Count("pk"))
        .order_by("-rows")
        .values_list("model", flat=True)
        .first()
    )
    return publish(model) if model else 0


def _stamps(model: str) -> tuple[np.ndarray, np.ndarray]:
    """Every ``model`` row's paper id and ``embedded_at`` (as stored), in id order."""
    ids: list[int] = []
    stamps: list[str] = []
    with connection.cursor() as cursor:
        # As text: Django would parse each value into a datetime, for a mere comparison.
        cursor.execute(
            f"SELECT paper_id, CAST(embedded_at AS TEXT) FROM {TABLE} WHERE model = %s "
            "ORDER BY paper_id",
            [model],
        )
        while batch := cursor.fetchmany(_BATCH):
            ids.extend(pk for pk, _ in batch)
            stamps.extend(stamp for _, stamp in batch)
    return np.array(ids, dtype=np.int64), np.array(stamps, dtype="S32")


def _stamps_of(directory: Path) -> np.ndarray:
    return np.load(directory / "stamps.npy")


def _diff(
    base_ids: np.ndarray, base_stamps: np.ndarray, ids: np.ndarray, stamps: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids (and their stamps) whose row the base lacks or holds from another
    ``embedded_at``, and the mask of base rows no longer current (re-embedded or deleted)."""
    rows = np.searchsorted(base_ids, ids)
    same = rows < len(base_ids)
    same[same] = base_ids[rows[same]] == ids[same]
    same[same] = base_stamps[rows[same]] == stamps[same]
    dead = np.ones(len(base_ids), dtype=bool)
    dead[rows[same]] = False
    return ids[~same], stamps[~same], dead


def _write_rows(directory: Path, model: str, ids: np.ndarray, whole: bool = False) -> None:
    """``ids.npy``, ``vectors.npy`` and ``stamps.npy`` in a new ``directory``: the ``model``
    rows of the table for the sorted ``ids``, read in one scan if they are the ``whole``
    table (as read earlier in the same snapshot)."""
    directory.mkdir()
    total = len(ids)
    out_ids = _new_rows(directory / "ids.npy", np.int64, (total,))
    vectors = _new_rows(directory / "vectors.npy", np.float32, (total, DIM))
    stamps = _new_rows(directory / "stamps.npy", "S32", (total,))
    select = f"SELECT paper_id, vector, CAST(embedded_at AS TEXT) FROM {TABLE} WHERE model = %s"
    if whole:
        queries = [(f"{select} ORDER BY paper_id", [model])]
    else:
        queries = [
            (
                f"{select} AND paper_id IN ({', '.join(['%s'] * len(chunk))}) ORDER BY paper_id",
                [model, *chunk.tolist()],
            )
            for chunk in (ids[i : i + _CHUNK] for i in range(0, total, _CHUNK))
        ]
    n = 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(_BATCH):
                if n + len(batch) > total:
                    break
                out_ids[n : n + len(batch)] = [pk for pk, _, _ in batch]
                vectors[n : n + len(batch)] = np.frombuffer(
                    b"".join(blob for _, blob, _ in batch), dtype=np.float32
                ).reshape(-1, DIM)
                stamps[n : n + len(batch)] = [stamp for _, _, stamp in batch]
                n += len(batch)
    if n != total or not np.array_equal(out_ids, ids):  # never publish a partial matrix
        raise RuntimeError(f"read {n} of {total} vectors of {model} in one snapshot")
    for array in (out_ids, vectors, stamps):
        array.flush()


def _new_rows(path: Path, dtype: npt.DTypeLike, shape: tuple[int, ...]) -> np.memmap:
    """A new .npy file, mapped for writing, with its disk blocks reserved first: written
    through the mapping, a full disk would kill the process (SIGBUS) instead of raising."""
    array = np.lib.format.open_memmap(path, "w+", dtype, shape)
    with open(path, "r+b") as f:
        os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)
    return array


def _usearch() -> type[Index]:
    """usearch's Index, imported on first use, after onnxruntime: the other way round,
    onnxruntime's native library crashes the process as it loads (usearch 2.26.6, onnxruntime
    1.32.0). Neither is imported with the app: a process that forks workers (gunicorn's
    master) must not hold onnxruntime's native thread, or every worker hangs as it exits."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def _build_index(directory: Path) -> None:
    vectors = np.load(directory / "vectors.npy", mmap_mode="r")
    index = _usearch()(
        ndim=DIM,
        metric="cos",
        dtype=INDEX_DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )
    index.add(np.arange(len(vectors), dtype=np.uint64), vectors)
    index.save(directory / "hnsw.usearch")


def _write_meta(directory: Path, model: str, base: str, hnsw: bool) -> None:
    (directory / "meta.json").write_text(json.dumps({"model": model, "base": base, "hnsw": hnsw}))


def _switch(root: Path, name: str, base: str) -> None:
    """Point CURRENT at generation ``name``, then remove every other generation and base
    (and what crashed publishers left): processes that mapped them keep their mappings."""
    pointer = root / "CURRENT.tmp"
    pointer.write_text(name)
    os.replace(pointer, root / "CURRENT")
    _prune(root, {name, base})


def _prune(root: Path, keep: set[str]) -> None:
    """Remove every generation and base but ``keep``, and what failed publishers left."""
    for old in root.iterdir():
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
