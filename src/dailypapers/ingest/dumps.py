"""Import of dump files: read lines (plain or gzip), parse each with a format module, write in
batches, and keep a report of what happened, line by line."""

from __future__ import annotations

import gzip
import itertools
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from dailypapers.feed import services as feed
from dailypapers.feed.models import Upstream
from dailypapers.feed.selectors import HUGGING_FACE

from . import parsing, store
from .records import FeatureRecord, PaperRecord, RecordError
from .report import Report

BATCH = 5000  # papers per database transaction
CHUNK = 2000  # lines per parsing task


Progress = Callable[[int], None]


def open_lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, line)`` of a plain or gzip file; ``progress`` gets bytes read.
    RecordError where a gzip file is cut off or corrupt, after the lines before it."""
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
        last = number = 0
        try:
            for number, line in enumerate(stream, start=1):
                if progress is not None and number % 1000 == 0:
                    pos = raw.tell()
                    progress(pos - last)
                    last = pos
                yield number, line
        except (EOFError, OSError, zlib.error) as exc:
            raise RecordError(f"unreadable gzip after line {number}: {exc}") from None
        if progress is not None:
            progress(path.stat().st_size - last)


def _chunks(paths: list[Path], progress: Progress | None) -> Iterator[list[tuple[str, Any]]]:
    """``(location, raw line)`` pairs in chunks of CHUNK; a file holding one JSON array (a saved
    API response) gives its decoded elements, located by index. A file that starts with "[" but
    is not one array is read as JSON lines: its first line alone is lost, not the file."""
    chunk: list[tuple[str, Any]] = []
    for path in paths:
        try:
            for pair in _located(path, progress):
                chunk.append(pair)
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
        except RecordError as exc:  # the rest of the file cannot be read
            chunk.append((str(path), exc))
    if chunk:
        yield chunk


def _located(path: Path, progress: Progress | None) -> Iterator[tuple[str, Any]]:
    """One file's ``(location, raw line)`` pairs, or its array's decoded elements."""
    lines: Iterator[tuple[int, bytes]] = open_lines(path, progress)
    first = next(lines, None)
    if first is None:
        return
    if first[1].lstrip().startswith(b"["):
        body = [first[1], *(line for _, line in lines)]
        try:
            values = orjson.loads(b"".join(body))
        except orjson.JSONDecodeError:
            # Not one array: JSON lines whose first one is broken, each line on its own.
            lines = enumerate(body, start=1)
        else:
            yield from ((f"{path}[{i}]", v) for i, v in enumerate(values))
            return
    else:
        lines = itertools.chain([first], lines)
    yield from ((f"{path}:{n}", line) for n, line in lines if not line.isspace())


def _parsed(
    fmt: str, paths: list[Path], progress: Progress | None, workers: int
) -> Iterator[parsing.Parsed]:
    """Parsed chunks in input order; parsing runs in ``workers`` processes when above 1, with
    a bounded number of chunks in flight so that memory stays flat on any file size."""
    chunks = _chunks(paths, progress)
    if workers <= 1:
        for chunk in chunks:
            yield parsing.parse_chunk(fmt, chunk)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[parsing.Parsed]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(parsing.parse_chunk, fmt, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class _Batcher:
    """Collects records and features, writes them every BATCH papers."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.upstream: Upstream | None = None  # Hugging Face, the first time it is needed
        self.papers: list[PaperRecord] = []
        self.features: list[FeatureRecord] = []

    def add(self, paper: PaperRecord, feature: FeatureRecord | None = None) -> None:
        self.papers.append(paper)
        if feature is not None:
            self.features.append(feature)
        if len(self.papers) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.papers:
            return
        counts, ids = store.upsert_papers(self.papers, want_ids=bool(self.features))
        self.report.add(counts)
        if self.features:
            # A dump of Hugging Face's lists is an older capture of that upstream.
            self.upstream = self.upstream or feed.upstream(HUGGING_FACE)
            self.report.featured += store.feature_papers(
                self.features, ids, self.upstream, keep_higher=True
            )
        self.papers, self.features = [], []


def import_dumps(
    fmt: str, paths: list[Path], progress: Progress | None = None, workers: int | None = None
) -> Report:
    """Import dump files of format ``fmt`` (see ``parsing.FORMATS``): ``arxiv`` for arXiv
    JSON lines (Kaggle snapshot and the shared layouts), ``hf-daily`` for Hugging Face
    daily_papers responses or archives. Files are applied in order, so a later file's newer
    version of a paper wins."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    report = Report()
    batcher = _Batcher(report)
    for parsed in _parsed(fmt, paths, progress, workers):
        report.read += parsed.read
        report.errors += parsed.errors
        for paper, feature in parsed.items:
            batcher.add(paper, feature)
    batcher.flush()
    return report
