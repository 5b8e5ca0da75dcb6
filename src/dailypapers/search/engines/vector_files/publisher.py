"""The vector files' publisher: writes them from the ``search_embedding`` table (see the
package's docstring), one publisher at a time across processes."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction

from ...models import DIM, Embedding
from . import reader
from .reader import Generation

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
_BATCH = 10_000  # rows fetched at a time when reading the table
_CHUNK = 900  # ids per ``IN (...)`` (SQLite's default limit on parameters was 999)


def publish(model: str) -> int:
    """Bring the files up to date with the ``model`` embeddings in the table and make them
    current: a new delta, or a new base when the delta has grown too large (see
    MERGE_FRACTION) or the model changed. Returns the number of vectors published."""
    root = reader.root()
    root.mkdir(parents=True, exist_ok=True)
    with _publishing(root):
        current = reader.current()
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
    it is until the block ends, publishers waiting. None before a first publish."""
    root = reader.root()
    if not reader.pointer(root):
        yield None
        return
    with _publishing(root):
        yield root


def restore(copy: Path | None) -> str | None:
    """Put a backup's ``copy`` of the folder (see ``held``; None: it had none) in place of
    this site's; the model the copy holds. Publishing again from the restored table then
    compares every row's ``embedded_at`` with the files', so only rows that differ are
    rewritten and the files match the table whenever the copy was taken."""
    root = reader.root()
    shutil.rmtree(root, ignore_errors=True)
    if copy is not None:
        shutil.move(copy, root)
    return reader.current().model


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


def _build_index(directory: Path) -> None:
    vectors = np.load(directory / "vectors.npy", mmap_mode="r")
    index = reader.usearch()(
        ndim=DIM,
        metric="cos",
        dtype=reader.INDEX_DTYPE,
        connectivity=reader.CONNECTIVITY,
        expansion_add=reader.EXPANSION_ADD,
        expansion_search=reader.EXPANSION_SEARCH,
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
