"""The disk full while writing the embedded default's search indexes (files under
DAILYPAPERS_HOME, here a real tmpfs of a few MB, filled up): the write fails and says so, the
previous generation keeps serving, nothing half-written stays to keep the disk full, and once
there is room again the next run brings the index up to date."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dailypapers.search import embedding, keyword_index, lexical, vectors
from dailypapers.search.engines import tantivy_index
from dailypapers.search.engines.tantivy_index import IndexWriteError
from dailypapers.search.engines.vector_files import reader
from dailypapers.search.query import parse_query
from dailypapers.search.tasks import index_papers
from tests.conftest import run_worker
from tests.factories import paper

# PostgreSQL keeps both indexes in its own tables: its disk is another story.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database("sqlite")]


class Disk:
    """A tmpfs mounted at ``path``, which ``fill()`` fills up and ``empty()`` frees again."""

    def __init__(self, path: Path) -> None:
        self.filler = path / "filler"

    def fill(self, leave: int = 16384) -> None:
        """Fill the disk but ``leave`` bytes: room to start writing files, not to finish."""
        chunk = b"\0" * 65536
        with open(self.filler, "wb") as f:
            try:
                while True:
                    f.write(chunk)
                    f.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            f.truncate(f.tell() - leave)
        free = os.statvfs(self.filler.parent)
        assert free.f_bavail * free.f_frsize == leave

    def empty(self) -> None:
        self.filler.unlink()


@pytest.fixture
def disk(settings):
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs root, to mount a tmpfs (CI runs as root)")
    home = Path(settings.HOME)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(home)], check=True)
    try:
        yield Disk(home)
    finally:
        subprocess.run(["umount", "--lazy", str(home)], check=True)  # files may still be mapped


def found(text: str) -> set[int]:
    return {pk for pk, _ in lexical.ranked(parse_query(text), 100)}


def test_keyword_index_on_a_full_disk_keeps_serving_and_catches_up_later(disk, settings):
    settings.DAILYPAPERS_SEMANTIC_SEARCH = False  # the vectors have a test of their own
    old = {paper(title=f"Attention study {i}").pk for i in range(30)}
    run_worker()
    assert found("attention") == old
    root = tantivy_index._root()
    serving = tantivy_index._current_name()
    new = {
        paper(title=f"Selective state spaces {i}", abstract="Mamba. " * 200).pk for i in range(30)
    }
    disk.fill()

    run_worker()  # the worker's sync, enqueued for the new papers
    failed = DBTaskResult.objects.filter(
        task_path=index_papers.module_path, status=TaskResultStatus.FAILED
    )
    assert "0 MB free on its disk" in failed.order_by("finished_at").first().traceback
    with pytest.raises(IndexWriteError, match="0 MB free"):
        keyword_index.rebuild()
    assert tantivy_index._current_name() == serving
    assert [p.name for p in root.glob("gen-*")] == [serving]  # the rebuild's files are gone
    assert found("attention") == old and found("mamba") == set()
    assert keyword_index.pending() == len(new)  # the changes wait for a sync that succeeds

    disk.empty()
    assert keyword_index.sync() == len(new)
    assert found("mamba") == new
    assert keyword_index.rebuild() == len(old | new)
    assert tantivy_index._current_name() != serving and found("attention") == old


def test_vector_index_on_a_full_disk_keeps_serving_and_catches_up_later(disk):
    old = [paper(title=f"Attention study {i}") for i in range(20)]
    assert embedding.embed_missing() == 20 and vectors.count() == 20
    root = reader.root()
    serving = sorted(p.name for p in root.iterdir() if p.is_dir())
    new = [paper(title=f"Selective state spaces {i}", abstract="Mamba.") for i in range(10)]
    disk.fill()

    with pytest.raises(OSError) as failure:
        embedding.embed_missing()  # the embeddings are stored; publishing them fails
    assert failure.value.errno == errno.ENOSPC
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == serving
    assert vectors.count() == 20
    probe = vectors.vector_of(new[0].pk)
    assert probe is not None and new[0].pk not in dict(vectors.nearest(probe, 5))
    assert vectors.nearest(vectors.vector_of(old[0].pk), 1)[0][0] == old[0].pk

    disk.empty()
    assert embedding.embed_missing() == 0  # nothing left to embed, but the files catch up
    assert vectors.count() == 30
    assert vectors.nearest(np.asarray(probe), 1)[0][0] == new[0].pk
