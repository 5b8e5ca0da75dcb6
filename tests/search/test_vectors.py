"""The vector index on its own, on SQLite (HNSW base + exact delta, published as files) and on
PostgreSQL (pgvector): approximate results agree with the exact scan, appends, re-embeddings
and deletions show at once after a publish, and ``among`` filters."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from django.db import connection

from dailypapers.papers.models import Paper
from dailypapers.search import vectors
from dailypapers.search.engines.vector_files import publisher, reader
from dailypapers.search.models import DIM, Embedding

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "test-model"
SQLITE = connection.vendor == "sqlite"
_serial = itertools.count()


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


# Topics: embeddings cluster (papers on one subject sit together), unlike uniform noise, in
# which no neighbour is much nearer than any other point.
TOPICS = normalised(np.random.default_rng(0).standard_normal((100, DIM)))


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random unit vectors, each about a random topic (cosine ~0.7 to it)."""
    noise = rng.standard_normal((n, DIM)) / np.sqrt(DIM)
    return normalised(TOPICS[rng.integers(0, len(TOPICS), n)] + noise)


def embed(matrix: np.ndarray, ids: list[int] | None = None) -> list[int]:
    """Store ``matrix`` as the embeddings of ``ids`` (new papers if not given), each row
    stamped later than any before, as a re-embedding would be."""
    if ids is None:
        papers = [Paper(arxiv_id=f"2501.{next(_serial)}", title="A") for _ in matrix]
        ids = [p.pk for p in Paper.objects.bulk_create(papers)]
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=next(_serial))
    Embedding.objects.bulk_create(
        [
            Embedding(paper_id=pk, model=MODEL, vector=v, embedded_at=when)
            for pk, v in zip(ids, matrix, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["paper"],
        update_fields=["vector", "embedded_at"],
    )
    return ids


def exact(ids: list[int], matrix: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    scores = matrix @ q
    return [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]


def found(q: np.ndarray, limit: int, among=None) -> list[int]:
    return [pk for pk, _ in vectors.nearest(q, limit, among)]


@pytest.fixture
def graph(monkeypatch):
    """The HNSW base on the few thousand vectors a test can afford, searched even where an
    exact scan of so few would be cheaper."""
    monkeypatch.setattr(publisher, "EXACT_BELOW", 1_000)
    monkeypatch.setattr(reader, "GATHER_COST", 1)
    monkeypatch.setattr(reader, "SCAN_COST", 1)


@pytest.fixture
def index_searches(monkeypatch):
    """Counts the HNSW searches (SQLite)."""
    calls = []
    index = reader.usearch()
    search = index.search

    def counted(self, *args, **kwargs):
        calls.append(args)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(index, "search", counted)
    return calls


def generation() -> tuple[str, str]:
    """(generation, base) directory names of the current generation (SQLite)."""
    current = reader.current()
    assert current.directory and current.base_dir
    return current.directory.name, current.base_dir.name


def test_hnsw_agrees_with_the_exact_scan(graph, index_searches):
    rng = np.random.default_rng(1)
    matrix = unit(rng, 3_000)
    ids = embed(matrix)
    assert vectors.publish(MODEL) == vectors.count() == 3_000
    queries = unit(rng, 50)
    recall = np.mean(
        [len(set(found(q, 10)) & set(exact(ids, matrix, q, 10))) / 10 for q in queries]
    )
    assert recall >= 0.95
    assert len(index_searches) == (50 if SQLITE else 0)
    # Similarities are exact cosines, whatever the index stores.
    q = queries[0]
    for pk, similarity in vectors.nearest(q, 10):
        assert similarity == pytest.approx(float(matrix[ids.index(pk)] @ q), abs=1e-5)
    # A stored vector finds its own paper first.
    assert found(matrix[123], 1) == [ids[123]]


def test_appended_vectors_are_found_and_go_to_the_delta(graph):
    rng = np.random.default_rng(2)
    base = embed(unit(rng, 2_000))
    vectors.publish(MODEL)
    before = generation() if SQLITE else None
    new = unit(rng, 20)
    added = embed(new)
    assert vectors.publish(MODEL) == vectors.count() == 2_020
    for pk, v in zip(added, new, strict=True):
        assert vectors.nearest(v, 1)[0] == (pk, pytest.approx(1.0, abs=1e-5))
    assert set(found(new.mean(axis=0), 20)) & set(added)
    assert set(found(unit(rng, 1)[0], 2_020)) == set(base) | set(added)
    if SQLITE:  # a new generation on the same base: the delta holds just the new rows
        gen, base_dir = generation()
        assert base_dir == before[1] and gen != before[0]
        assert reader.current().delta_ids.tolist() == added


def test_the_delta_is_merged_into_a_new_base_past_its_share(graph):
    rng = np.random.default_rng(3)
    matrix = unit(rng, 1_000)
    ids = embed(matrix)
    vectors.publish(MODEL)
    before = generation() if SQLITE else None
    more = unit(rng, int(publisher.MERGE_FRACTION * 1_000) + 1)
    ids += embed(more)
    matrix = np.concatenate([matrix, more])
    assert vectors.publish(MODEL) == len(ids)
    # Near a paper of the delta, now in the new base's graph. The graph is approximate and
    # built on several threads (not the same graph each run): the nearest one is certain,
    # not every one of the next four.
    q = more[0] + 0.05 * unit(rng, 1)[0]
    q /= np.linalg.norm(q)
    got, want = found(q, 5), exact(ids, matrix, q, 5)
    assert got[0] == want[0] == ids[1_000] and len(set(got) & set(want)) >= 4
    if SQLITE:
        current = reader.current()
        assert generation()[1] != before[1] and not len(current.delta_ids)
        assert current.ids.tolist() == sorted(ids) and current.index is not None


def test_a_re_embedded_paper_returns_only_its_new_vector(graph):
    rng = np.random.default_rng(4)
    matrix = unit(rng, 2_000)
    ids = embed(matrix)
    vectors.publish(MODEL)
    paper, old, new = ids[7], matrix[7], unit(rng, 1)[0]
    embed(new[None], [paper])
    vectors.publish(MODEL)
    assert vectors.count() == 2_000
    assert vectors.nearest(new, 1) == [(paper, pytest.approx(1.0, abs=1e-5))]
    near_old = vectors.nearest(old, 50)
    assert paper not in [pk for pk, _ in near_old[:1]]
    for pk, similarity in near_old:
        if pk == paper:  # found for the new vector's similarity, never the old one's
            assert similarity == pytest.approx(float(new @ old), abs=1e-5)
    everything = found(old, 5_000)
    assert len(everything) == len(set(everything)) == 2_000
    assert vectors.nearest(old, 5, among=[paper]) == [
        (paper, pytest.approx(float(new @ old), abs=1e-5))
    ]
    assert np.allclose(vectors.vector_of(paper), new)
    # ...and it stays so when re-embedded again, and once merged.
    newer = unit(rng, 1)[0]
    embed(newer[None], [paper])
    vectors.publish(MODEL)
    assert vectors.nearest(newer, 1)[0][0] == paper and found(new, 1) != [paper]
    embed(unit(rng, 200))
    vectors.publish(MODEL)
    assert vectors.nearest(newer, 1)[0][0] == paper and found(old, 1) != [paper]


def test_deleted_rows_never_come_back(graph):
    rng = np.random.default_rng(5)
    matrix = unit(rng, 2_000)
    ids = embed(matrix)
    vectors.publish(MODEL)
    gone = ids[:10]
    Embedding.objects.filter(paper_id__in=gone[:5]).delete()
    Paper.objects.filter(pk__in=gone[5:]).delete()  # the embedding goes with its paper
    vectors.publish(MODEL)
    assert vectors.count() == 1_990
    for v in matrix[:10]:
        assert not set(found(v, 100)) & set(gone)
    assert not set(found(matrix[0], 5_000)) & set(gone)
    assert not set(found(matrix[0], 100, among=gone + ids[10:20])) & set(gone)
    embed(unit(rng, 30))  # a delta on top keeps them out
    vectors.publish(MODEL)
    assert not set(found(matrix[0], 5_000)) & set(gone)
    embed(unit(rng, 200))  # ...and so does the merge
    vectors.publish(MODEL)
    assert not set(found(matrix[0], 5_000)) & set(gone)
    assert vectors.count() == 2_220


def test_among_returns_only_allowed_papers_and_enough_of_them(graph, index_searches):
    rng = np.random.default_rng(6)
    embed(unit(rng, 5_000))
    vectors.publish(MODEL)
    embed(unit(rng, 50))  # in the delta
    vectors.publish(MODEL)
    every = [pk for pk, _ in sorted(Embedding.objects.values_list("paper_id", "vector"))]
    stacked = np.stack([v for _, v in sorted(Embedding.objects.values_list("paper_id", "vector"))])
    q = unit(rng, 1)[0]

    def exact_among(allowed: set[int], k: int) -> list[int]:
        keep = [i for i, pk in enumerate(every) if pk in allowed]
        return exact([every[i] for i in keep], stacked[keep], q, k)

    # A narrow filter: 20 papers, some in the delta, an unknown id and one without a vector.
    narrow = set(rng.choice(every, 20, replace=False).tolist()) | {every[-1], 10**9}
    result = found(q, 50, among=narrow)
    assert result == exact_among(narrow, 50) and len(result) == 21
    assert found(q, 5, among=narrow) == exact_among(narrow, 5)
    # A broad filter (4 papers in 5): the graph, and enough rows.
    index_searches.clear()
    broad = set(every) - set(every[::5])
    result = found(q, 100, among=broad)
    assert len(result) == 100 and set(result) <= broad
    assert len(set(result[:10]) & set(exact_among(broad, 10))) >= 9
    assert bool(index_searches) == SQLITE
    # Allowed papers far from the query: more candidates each round, then the exact scan;
    # still `limit` of them, the nearest.
    index_searches.clear()
    far = set(every[i] for i in np.argsort(stacked @ q)[:2_500])
    result = found(q, 100, among=far)
    assert len(result) == 100 and set(result) <= far
    assert result == exact_among(far, 100)
    assert len(index_searches) == (3 if SQLITE else 0)
    assert found(q, 10, among=[]) == [] and found(q, 10, among=[10**9]) == []
    # Any collection, repeats or not: each paper once.
    assert found(q, 10, among=np.array(every[:3] * 2)) == exact_among(set(every[:3]), 10)
    assert found(q, 10, among=every[:3] * 2) == exact_among(set(every[:3]), 10)


def test_a_small_corpus_is_scanned_exactly(index_searches):
    rng = np.random.default_rng(7)
    matrix = unit(rng, 500)
    ids = embed(matrix)
    assert vectors.is_empty() == SQLITE  # files until published; PostgreSQL reads the table
    vectors.publish(MODEL)
    assert not vectors.is_empty() and vectors.count() == 500
    queries = unit(rng, 20)
    for q in queries:  # a small filter is scanned exactly on both databases
        assert found(q, 20, among=ids[::2]) == exact(ids[::2], matrix[::2], q, 20)
    if SQLITE:  # ...and on SQLite a small corpus as a whole, without a graph
        for q in queries:
            assert found(q, 20) == exact(ids, matrix, q, 20)
        assert reader.current().index is None and not index_searches
        assert not list(reader.root().glob("base-*/hnsw.usearch"))
    else:  # PostgreSQL always walks its HNSW index
        recall = [len(set(found(q, 10)) & set(exact(ids, matrix, q, 10))) for q in queries]
        assert np.mean(recall) >= 9.5


def test_a_reader_keeps_its_generation_while_others_are_published(graph):
    rng = np.random.default_rng(8)
    matrix = unit(rng, 1_500)
    ids = embed(matrix)
    vectors.publish(MODEL)
    q = matrix[0]
    first = reader.current() if SQLITE else None
    before = vectors.nearest(q, 10)
    Embedding.objects.filter(paper_id=ids[0]).delete()
    embed(unit(rng, 500))  # past the merge share: a new base, and the old files removed
    vectors.publish(MODEL)
    assert ids[0] not in found(q, 10)
    if SQLITE:
        assert first is not None and first.directory
        assert not first.directory.exists() and not first.base_dir.exists()
        assert first.nearest(q, 10) == before  # still mapped, still answering
        assert reader.current() is not first


def test_publishing_writes_files_only_on_sqlite_and_reads_the_old_layout():
    rng = np.random.default_rng(9)
    matrix = unit(rng, 100)
    ids = embed(matrix)
    root = reader.root()
    if not SQLITE:
        assert vectors.publish(MODEL) == 100 and not root.exists()
        assert found(matrix[3], 1) == [ids[3]]
        return
    # A generation as written before deltas: a bare matrix, read as it is...
    old = root / "gen-1"
    old.mkdir(parents=True)
    np.save(old / "ids.npy", np.array(ids, dtype=np.int64))
    np.save(old / "vectors.npy", matrix)
    (root / "CURRENT").write_text("gen-1")
    assert vectors.count() == 100 and found(matrix[3], 1) == [ids[3]]
    # ...and replaced by the next publish.
    assert vectors.publish(MODEL) == 100
    assert not old.exists() and (reader.current().directory / "meta.json").exists()
    assert found(matrix[3], 1) == [ids[3]]


def test_vectors_of_gives_the_current_rows_in_id_order(graph):
    rng = np.random.default_rng(9)
    matrix = unit(rng, 1_200)
    ids = embed(matrix)
    vectors.publish(MODEL)
    new = unit(rng, 1)[0]
    embed(new[None], [ids[3]])  # re-embedded: a delta row replaces the base row
    vectors.publish(MODEL)
    unembedded = Paper.objects.create(arxiv_id="2501.99999", title="B").pk
    wanted = [ids[10], ids[3], unembedded, ids[0], ids[10]]
    got_ids, rows = vectors.vectors_of(wanted)
    assert got_ids.tolist() == sorted({ids[0], ids[3], ids[10]})
    expected = {ids[0]: matrix[0], ids[3]: new, ids[10]: matrix[10]}
    for pk, row in zip(got_ids.tolist(), rows, strict=True):
        assert row.dtype == np.float32 and np.allclose(row, expected[pk], atol=1e-6)
    assert vectors.vectors_of([])[1].shape == (0, DIM)
