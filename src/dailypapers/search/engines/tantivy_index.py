"""The keyword index of the embedded default: tantivy (a Rust engine in the Lucene mould) under
``$DAILYPAPERS_HOME/search/``: its schema, its files and their writing (``tantivy_search``
queries it).

The database is the source of truth; the index is derived from it:

* ``keyword_index.sync`` hands :func:`update` the papers changed since the last run;
* :func:`rebuild` (``dailypapers reindex``) writes a whole new generation from the table and
  switches to it atomically, as the vector files do.

Hidden papers are not in the index. Web processes open the current generation read-only;
tantivy reloads on a writer's commit, and a new generation is noticed on the next search.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from django.conf import settings
from django.db import connection
from tantivy import Filter, Query, TextAnalyzerBuilder, Tokenizer

from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from ..models import IndexChange

log = logging.getLogger(__name__)

CHUNK = 5000  # papers read from the database at a time
WRITER_HEAP = 64_000_000

# Analyzers, by the names the schema refers to. Queries are analysed with the same ones.
ANALYZERS = {
    # Words: lower-cased, accents folded, English Snowball stems ("networks" = "network").
    "dp_english": TextAnalyzerBuilder(Tokenizer.simple())
    .filter(Filter.lowercase())
    .filter(Filter.ascii_fold())
    .filter(Filter.stemmer("english"))
    .build(),
    # Names: no stemming ("Hinton" must not match "hint").
    "dp_names": TextAnalyzerBuilder(Tokenizer.simple())
    .filter(Filter.lowercase())
    .filter(Filter.ascii_fold())
    .build(),
    # Categories as whole values: "cs.cl", and the archive "cs".
    "dp_keyword": TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase()).build(),
}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    # What relevance ranks: title, abstract and authors as one text, so that BM25 counts a
    # word's occurrences and the length over the whole paper. Separate fields, each with its
    # own BM25 and weight, lost to a plain FTS5 table on known-item queries (MRR@10 0.68 vs
    # 0.98 on 236k papers: a few query words in a short title outscored many in the abstract);
    # one field reaches 0.975 (bench/known_item.py).
    builder.add_text_field("text", tokenizer_name="dp_english")
    builder.add_text_field("title", tokenizer_name="dp_english")  # exact-title lookups
    builder.add_text_field("authors", tokenizer_name="dp_names")  # author: filters
    builder.add_text_field("categories", tokenizer_name="dp_keyword", index_option="basic")
    # Seconds since 1970 of v1's submission; papers without a date have none.
    builder.add_integer_field("published", indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def analyze(analyzer: str, text: str) -> list[str]:
    """The index terms of ``text`` under one of ANALYZERS."""
    return list(ANALYZERS[analyzer].analyze(text))


# --- the files ---------------------------------------------------------------------------------


# Bump when the schema or the analyzers change: the next start builds a new index.
SCHEMA_VERSION = 2


def _root() -> Path:
    return Path(settings.HOME) / "search" / f"tantivy-v{SCHEMA_VERSION}"


def _open(directory: Path) -> tantivy.Index:
    index = tantivy.Index(SCHEMA, path=str(directory), reuse=True)
    for name, analyzer in ANALYZERS.items():
        index.register_tokenizer(name, analyzer)
    return index


@dataclass
class _Generation:
    name: str
    index: tantivy.Index


_lock = threading.Lock()
_current: _Generation | None = None  # this process's open generation


def current() -> tantivy.Index:
    """The current generation, opened once per process and reopened after a rebuild."""
    index = _generation()
    # Picks up the last commit of any process now (18 us), not when tantivy's watcher does.
    index.reload()
    return index


def _current_name() -> str:
    try:
        return (_root() / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def _generation() -> tantivy.Index:
    global _current
    name = _current_name()
    with _lock:
        if _current is not None and name and _current.name == name:
            return _current.index
        name = name or _first_generation()
        _current = _Generation(name, _open(_root() / name))
        return _current.index


def _first_generation() -> str:
    """No index yet (a new site, a restored database, a new schema): an empty one, and every
    paper queued for the worker, which indexes them as it would after an import. One process
    does it, under a file lock."""
    _root().mkdir(parents=True, exist_ok=True)
    with open(_root() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        name = _current_name()
        if name:
            return name  # another process made it meanwhile
        with _new_generation() as name:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {IndexChange._meta.db_table} (paper_id) "
                    f"SELECT id FROM {Paper._meta.db_table}"
                )
            _publish(name)
    from ..tasks import index_papers

    index_papers.enqueue()
    return name


@contextmanager
def _new_generation() -> Iterator[str]:
    """A new, empty generation to fill in the block. Should the block fail (a full disk), its
    files are removed: the current generation keeps serving, and no half-written index keeps
    the disk full."""
    name = f"gen-{time.time_ns()}"
    directory = _root() / name
    try:
        directory.mkdir(parents=True)
        _open(directory)  # writes the empty index's meta.json
        yield name
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, Exception):
            raise _write_error(f"a new generation ({name})", exc) from exc
        raise


class IndexWriteError(RuntimeError):
    """Writing the index failed; it stays as it was."""


def _write_error(what: str, exc: Exception) -> IndexWriteError:
    """tantivy seldom says why a write failed ("an index writer was killed"): the room left on
    the disk tells when it was full."""
    free = shutil.disk_usage(_root()).free // 2**20
    log.error("keyword index: writing %s failed (%s), %d MB free", what, exc, free)
    return IndexWriteError(
        f"keyword index: writing {what} failed with {free} MB free on its disk ({exc}); "
        "the index stays as it was"
    )


def _publish(name: str) -> None:
    """Make ``name`` the current generation (atomically) and remove older ones."""
    tmp = _root() / f"CURRENT.{os.getpid()}"
    tmp.write_text(name)
    os.replace(tmp, _root() / "CURRENT")
    for old in _root().glob("gen-*"):
        if old.name != name:
            # A process that still has it open keeps reading its files until it reopens.
            shutil.rmtree(old, ignore_errors=True)


# --- writing -----------------------------------------------------------------------------------


def _document(row: dict[str, Any]) -> tantivy.Document:
    doc = tantivy.Document()
    names = row["authors"] or []
    doc.add_unsigned("id", row["id"])
    doc.add_text("text", " . ".join([row["title"], row["abstract"], "; ".join(names)]))
    doc.add_text("title", row["title"])
    for name in names:
        doc.add_text("authors", name)
    for category in row["categories"] or []:
        doc.add_text("categories", category)
        if "." in category:
            doc.add_text("categories", category.split(".", 1)[0])
    if row["published"] is not None:
        doc.add_integer("published", int(row["published"].timestamp()))
    return doc


_FIELDS = ("id", "title", "abstract", "authors", "categories", "published")


def _visible_rows(ids: list[int] | None) -> Iterator[dict[str, Any]]:
    """Visible papers (these ids, else all), CHUNK rows per query, in id order."""
    rows = papers.visible().order_by("id").values(*_FIELDS)
    if ids is not None:
        for start in range(0, len(ids), CHUNK):
            yield from rows.filter(id__in=ids[start : start + CHUNK])
        return
    last = 0
    while batch := list(rows.filter(id__gt=last)[:CHUNK]):
        yield from batch
        last = batch[-1]["id"]


def update(ids: list[int]) -> bool:
    """Write these papers (as the table has them now) to the index: the visible ones in, the
    others out. False, without waiting, if another process is writing the index."""
    try:
        writer = current().writer(WRITER_HEAP, 1)
    except ValueError as exc:  # tantivy's writer lock: one writer at a time
        log.info("keyword index busy, changes left for the writer: %s", exc)
        return False
    try:
        # By query: delete_documents_by_term takes a Python int for a signed term and so misses
        # the unsigned id.
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            writer.delete_documents_by_query(Query.term_set_query(SCHEMA, "id", chunk))
        for row in _visible_rows(ids):
            writer.add_document(_document(row))
        writer.commit()
        writer.wait_merging_threads()
    except BaseException as exc:
        writer.rollback()
        # Gives up the writer and its lock now: the traceback (kept by whoever logs it) would
        # keep the writer alive, and no later sync could write.
        writer.wait_merging_threads()
        if isinstance(exc, Exception):
            raise _write_error(f"the changes of {len(ids)} papers", exc) from exc
        raise
    return True


def rebuild() -> int:
    """Index every visible paper into a new generation, then switch to it; returns how many.
    Changes made meanwhile stay queued and follow with the next sync (re-writing a paper the
    rebuild wrote already is harmless)."""
    with _new_generation() as name:
        writer = _open(_root() / name).writer(WRITER_HEAP, min(4, os.cpu_count() or 1))
        count = 0
        for row in _visible_rows(None):
            writer.add_document(_document(row))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
    _publish(name)
    return count
