"""The SQLite vector index (search/engines/vector_files/) at the size of the shared corpus: HNSW
(usearch) against the exact NumPy scan, in the same run, through the functions search uses.

Usage: python bench/vector_index.py [--size N] [--real N] [--queries N] [--cache FILE]
                                    [--sweep]

Vectors: --real (default 5,000) real abstracts embedded by the project's encoder, half SciFact
(BEIR corpus) and half arXiv cs (../shared/data/arxiv-cs-meta-1990-2019), plus synthetic ones
up to --size (default 240,000) that follow their distribution: each is a real vector mixed
with a second one (weight up to 0.35) plus noise drawn from the real vectors' covariance
(so the same principal directions), normalised; the run prints how close their nearest
neighbours are next to the real ones'. Queries: --queries (default 400) real texts, half
SciFact claims and half arXiv titles of papers not in the corpus, embedded the same way.
The real vectors are embedded once (about 90 s on 2 cores) and kept in --cache (default
var/bench-vector-index/real.npz).

Measured on a fresh SQLite database in a temporary data folder, holding every vector as an
embedding row: publish (read the table, write the matrix, build the graph), size on disk, the
mapped open, p50/p99 latency and recall@10/@100 of HNSW against the exact scan (limit 10 and
100, the search page's depth), expansion_search against recall, filtered queries (``among``)
at several selectivities, the exact scan against HNSW on smaller corpora (EXACT_BELOW), and
appending 1,000 vectors (a delta) then merging them into a new base. --sweep also builds the
graph with other connectivity / storage settings (several minutes each at 240k).
Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import scifact  # noqa: E402
from scifact import DATA  # noqa: E402

MODEL = "all-MiniLM-L6-v2"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=240_000)
    parser.add_argument("--real", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--cache", type=Path, default=REPO / "var" / "bench-vector-index" / "real.npz"
    )
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    real, queries = real_vectors(args.real, args.queries, args.cache)
    rng = np.random.default_rng(42)
    corpus = np.concatenate([real, synthetic(real, args.size - len(real), rng)])
    is_real = np.zeros(len(corpus), dtype=bool)
    is_real[: len(real)] = True
    order = rng.permutation(len(corpus))  # real rows spread over the ids
    corpus, is_real = corpus[order], is_real[order]
    figures: dict[str, object] = {
        "vectors": len(corpus),
        "real_vectors": len(real),
        "real_sources": "SciFact abstracts + arXiv cs abstracts, this project's encoder",
        "synthetic_vectors": len(corpus) - len(real),
        "queries": f"{len(queries)} real: SciFact claims + arXiv titles",
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        # OPENBLAS_NUM_THREADS=1 steadies the exact scan on a shared machine (it is memory
        # bound: a second thread gains little, and waits for a core when both are busy).
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        **likeness(corpus, is_real, queries),
    }

    with tempfile.TemporaryDirectory(prefix="dailypapers-bench-") as home:  # ~1 GB at 240k
        os.environ.update(DAILYPAPERS_HOME=home, DJANGO_SETTINGS_MODULE="dailypapers.settings")
        os.environ.pop("DATABASE_URL", None)
        from dailypapers.cli import setup

        setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ids = store(corpus)
        figures.update(full_build())
        figures.update(queries_vs_exact(queries))
        figures.update(filtered(queries, ids, rng))
        figures.update(small_corpora(corpus, queries))
        figures.update(append_and_merge(real, queries, rng))
        if args.sweep:
            figures["sweep"] = sweep(corpus, queries)
    # The machine may be shared: the exact scan (2 BLAS threads) suffers most from it.
    figures["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


def real_vectors(n: int, n_queries: int, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """``n`` real abstracts and ``n_queries`` real queries, embedded (or read from ``cache``)."""
    if cache.exists():
        saved = np.load(cache)
        if len(saved["docs"]) == n and len(saved["queries"]) == n_queries:
            log(f"real vectors from {cache}")
            return saved["docs"], saved["queries"]
    from dailypapers.search.encoder import Encoder, paper_text

    data = scifact.load()
    docs = [paper_text(d["title"], d["text"]) for d in data.docs[: n - n // 2]]
    claims = data.queries[: n_queries // 2]
    arxiv, titles = [], []
    paths = sorted(DATA.glob("arxiv-cs-meta-1990-2019/*.jsonl.gz"))
    if not paths:
        sys.exit(f"no arXiv dumps under {DATA}")
    with gzip.open(paths[len(paths) // 2], "rt") as f:
        for line in f:
            record = json.loads(line)
            if not record.get("abstract"):
                continue
            if len(arxiv) < n // 2:
                arxiv.append(paper_text(record["title"], record["abstract"]))
            elif len(titles) < n_queries - len(claims):
                titles.append(" ".join(record["title"].split()))
            else:
                break
    encoder = Encoder.load(REPO / "src" / "dailypapers" / "search" / "model")
    log(f"embedding {len(docs) + len(arxiv)} abstracts and {len(claims) + len(titles)} queries...")
    start = time.perf_counter()
    vectors, queries = encoder.encode(docs + arxiv), encoder.encode(claims + titles)
    log(f"...in {time.perf_counter() - start:.0f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, docs=vectors, queries=queries)
    return vectors, queries


def synthetic(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` vectors like ``real``: a real vector moved toward another, plus noise from the
    real vectors' covariance (a random combination of four centred real vectors)."""
    centred = real - real.mean(axis=0)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        a, b = rng.integers(0, len(real), (2, m))
        w = rng.uniform(0, 0.35, (m, 1)).astype(np.float32)
        v = (1 - w) * real[a] + w * real[b]
        noise = rng.standard_normal((m, 4, 1)).astype(np.float32)
        v += 0.35 * (noise * centred[rng.integers(0, len(real), (m, 4))]).sum(axis=1)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def likeness(corpus: np.ndarray, is_real: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """Median cosine of the nearest neighbour, within the real vectors and within as many
    synthetic ones, and of the queries' 1st and 10th nearest in the whole corpus."""
    real, fake = corpus[is_real], corpus[~is_real][: is_real.sum()]

    def nn1(x: np.ndarray) -> float:
        s = x[:1000] @ x.T
        s[np.arange(len(s)), np.arange(len(s))] = -1
        return round(float(np.median(s.max(axis=1))), 3)

    top = -np.sort(-(queries @ corpus.T), axis=1)
    return {
        "nn1_cosine_real": nn1(real),
        "nn1_cosine_synthetic": nn1(fake),
        "query_nn1_cosine": round(float(np.median(top[:, 0])), 3),
        "query_nn10_cosine": round(float(np.median(top[:, 9])), 3),
    }


_serial = itertools.count()


def store(matrix: np.ndarray) -> list[int]:
    """A paper and an embedding row per vector; their paper ids."""
    from django.db import connection, transaction

    from dailypapers.papers.models import Paper
    from dailypapers.search.models import Embedding

    start = time.perf_counter()
    ids: list[int] = []
    when = connection.ops.adapt_datetimefield_value(
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=next(_serial))
    )
    for begin in range(0, len(matrix), 20_000):
        rows = matrix[begin : begin + 20_000]
        with transaction.atomic(), connection.cursor() as cursor:
            papers = Paper.objects.bulk_create(
                Paper(arxiv_id=f"bench.{next(_serial)}", title="-") for _ in rows
            )
            ids += [p.pk for p in papers]
            cursor.executemany(
                f"INSERT INTO {Embedding._meta.db_table} (paper_id, model, vector, embedded_at) "
                "VALUES (%s, %s, %s, %s)",
                [(p.pk, MODEL, v.tobytes(), when) for p, v in zip(papers, rows, strict=True)],
            )
    log(f"stored {len(matrix)} embeddings in {time.perf_counter() - start:.0f} s")
    return ids


def full_build() -> dict[str, float]:
    from dailypapers.search.engines.vector_files import publisher, reader

    build = publisher._build_index
    seconds: list[float] = []

    def timed(directory: Path) -> None:
        start = time.perf_counter()
        build(directory)
        seconds.append(time.perf_counter() - start)

    publisher._build_index = timed
    try:
        start = time.perf_counter()
        publisher.publish(MODEL)
        total = time.perf_counter() - start
    finally:
        publisher._build_index = build
    current = reader.current()
    assert current.base_dir is not None and current.index is not None
    size = {f.name: f.stat().st_size for f in current.base_dir.iterdir()}
    start = time.perf_counter()
    reader.Generation(current.directory)
    open_ms = (time.perf_counter() - start) * 1000
    log(f"publish (read + write + graph): {total:.1f} s, graph {seconds[0]:.1f} s; {size}")
    return {
        "publish_full_s": round(total, 1),
        "hnsw_build_s": round(seconds[0], 1),
        "hnsw_file_mb": round(size["hnsw.usearch"] / 2**20, 1),
        "matrix_file_mb": round(size["vectors.npy"] / 2**20, 1),
        "base_on_disk_mb": round(sum(size.values()) / 2**20, 1),
        "open_ms": round(open_ms, 2),
    }


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    p99 = times[min(len(times) - 1, math.ceil(len(times) * 0.99) - 1)]
    return round(statistics.median(times) * 1000, 3), round(p99 * 1000, 3)


def timed_runs(fn, queries: np.ndarray) -> tuple[list, list[float]]:
    for q in queries[:20]:  # warm the mapping and the caches
        fn(q)
    results, times = [], []
    for q in queries:
        start = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - start)
    return results, times


def recall(found: list[list[int]], truth: list[list[int]], k: int) -> float:
    hits = [len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)]
    return round(float(np.mean(hits)), 4)


def exact_twin(generation):
    """The same mapped generation without its graph: ``nearest`` then scans exactly."""
    from dailypapers.search.engines.vector_files import reader

    twin = reader.Generation(generation.directory)
    twin.index = None
    return twin


def ids_of(generation, k: int, among=None):
    return lambda q: [pk for pk, _ in generation.nearest(q, k, among)]


def queries_vs_exact(queries: np.ndarray) -> dict[str, object]:
    from usearch.index import Index

    from dailypapers.search.engines.vector_files import reader

    current = reader.current()
    exact = exact_twin(current)
    out: dict[str, object] = {}
    for k in (10, 100):
        truth, exact_t = timed_runs(ids_of(exact, k), queries)
        found, hnsw_t = timed_runs(ids_of(current, k), queries)
        (e50, e99), (h50, h99) = percentiles(exact_t), percentiles(hnsw_t)
        # How far the k-th similarity found falls short of the true k-th (misses are ties?)
        sims = [current.nearest(q, k)[-1][1] for q in queries]
        true = [exact.nearest(q, k)[-1][1] for q in queries]
        out.update(
            {
                f"exact_p50_ms_k{k}": e50,
                f"exact_p99_ms_k{k}": e99,
                f"hnsw_p50_ms_k{k}": h50,
                f"hnsw_p99_ms_k{k}": h99,
                f"speedup_p50_k{k}": round(e50 / h50, 1),
                f"speedup_p99_k{k}": round(e99 / h99, 1),
                f"recall{k}": recall(found, truth, k),
                f"worst_query_recall{k}": min(
                    len(set(f) & set(t)) / k for f, t in zip(found, truth, strict=True)
                ),
                f"max_kth_similarity_shortfall_k{k}": round(
                    max(t - s for s, t in zip(sims, true, strict=True)), 4
                ),
            }
        )
        log(f"k={k}: exact p50 {e50} ms, HNSW p50 {h50} ms, recall@{k} {out[f'recall{k}']}")
    # expansion_search against recall@10 and @100, through ``nearest`` (re-scored), and
    # what the graph's own int8 order gives for top 10 without the re-scoring.
    path = str(current.base_dir / "hnsw.usearch")
    truth = [ids_of(exact, 100)(q) for q in queries]
    twin = reader.Generation(current.directory)
    ef_table = {}
    for ef in (16, 32, 64, 128, 256):
        twin.index = Index.restore(path, view=True, expansion_search=ef)
        found10, times = timed_runs(ids_of(twin, 10), queries)
        found100, _ = timed_runs(ids_of(twin, 100), queries)
        raw = [
            current.ids[twin.index.search(q, 10).keys.astype(np.int64)].tolist() for q in queries
        ]
        ef_table[ef] = {
            "recall10": recall(found10, truth, 10),
            "recall100": recall(found100, truth, 100),
            "p50_ms_k10": percentiles(times)[0],
            "recall10_not_rescored": recall(raw, truth, 10),
        }
    out["expansion_search"] = ef_table
    log(f"expansion_search: {ef_table}")
    return out


def filtered(queries: np.ndarray, ids: list[int], rng: np.random.Generator) -> dict[str, object]:
    """``among`` at several sizes: latency and recall@10 against the exact filtered answer."""
    from dailypapers.search.engines.vector_files import reader

    current = reader.current()
    exact = exact_twin(current)
    out: dict[str, object] = {}
    for size in (20, 1_000, 10_000, 50_000, len(ids) // 2):
        if size > len(ids):
            continue
        among = np.sort(rng.choice(ids, size, replace=False))
        truth, exact_t = timed_runs(ids_of(exact, 100, among), queries[:200])
        found, times = timed_runs(ids_of(current, 100, among), queries[:200])
        out[f"among_{size}"] = {
            "p50_ms": percentiles(times)[0],
            "p99_ms": percentiles(times)[1],
            "exact_p50_ms": percentiles(exact_t)[0],
            "recall10": recall(found, truth, min(10, size)),
            "always_full": all(len(f) == min(100, size) for f in found),
        }
        log(f"among {size}: {out[f'among_{size}']}")
    # GATHER_COST and SCAN_COST: an HNSW search's time per candidate over the exact scan's
    # per gathered row and per row of the whole matrix.
    index = current.index
    per_candidate = statistics.median(
        statistics.median(timed_runs(lambda q, c=c: index.search(q, c), queries[:100])[1]) / c
        for c in (200, 1_000, 4_000)
    )
    per_gathered = statistics.median(
        statistics.median(
            timed_runs(
                lambda q, rows=rows: reader._exact(current.vectors, q, 100, rows), queries[:100]
            )[1]
        )
        / len(rows)
        for rows in (
            np.sort(rng.choice(len(ids), m, replace=False))
            for m in (2_000, 10_000, 50_000)
            if m < len(ids)
        )
    )
    per_scanned = statistics.median(
        timed_runs(lambda q: reader._exact(current.vectors, q, 100), queries[:100])[1]
    ) / len(current.ids)
    out["hnsw_us_per_candidate"] = round(per_candidate * 1e6, 2)
    out["hnsw_candidate_over_gathered_row"] = round(per_candidate / per_gathered, 1)
    out["hnsw_candidate_over_scanned_row"] = round(per_candidate / per_scanned, 1)
    log(
        f"an HNSW candidate costs {out['hnsw_candidate_over_gathered_row']} gathered rows, "
        f"{out['hnsw_candidate_over_scanned_row']} scanned rows"
    )
    return out


def small_corpora(corpus: np.ndarray, queries: np.ndarray) -> dict[str, object]:
    """``nearest`` (limit 100) with and without a graph on the first N vectors."""
    from dailypapers.search.engines.vector_files import publisher, reader

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (n for n in (2_000, 5_000, 10_000, 20_000, 50_000) if n <= len(corpus)):
            base, gen = Path(tmp, f"base-{n}"), Path(tmp, f"gen-{n}")
            base.mkdir()
            gen.mkdir()
            np.save(base / "ids.npy", np.arange(n, dtype=np.int64))
            np.save(base / "vectors.npy", np.ascontiguousarray(corpus[:n]))
            np.save(gen / "ids.npy", np.zeros(0, dtype=np.int64))
            np.save(gen / "vectors.npy", np.zeros((0, corpus.shape[1]), dtype=np.float32))
            np.save(gen / "dead.npy", np.zeros(n, dtype=bool))
            publisher._build_index(base)
            publisher._write_meta(gen, MODEL, base.name, True)
            graph = reader.Generation(gen)
            truth, exact_t = timed_runs(ids_of(exact_twin(graph), 100), queries[:200])
            costs = reader.GATHER_COST, reader.SCAN_COST
            reader.GATHER_COST = reader.SCAN_COST = 1e-9  # the graph, though it costs more
            try:
                found, hnsw_t = timed_runs(ids_of(graph, 100), queries[:200])
            finally:
                reader.GATHER_COST, reader.SCAN_COST = costs
            out[f"n_{n}"] = {
                "exact_p50_ms": percentiles(exact_t)[0],
                "hnsw_p50_ms": percentiles(hnsw_t)[0],
                "recall100": recall(found, truth, 100),
            }
            log(f"{n} vectors: {out[f'n_{n}']}")
    return {"small_corpora_k100": out}


def append_and_merge(real: np.ndarray, queries: np.ndarray, rng) -> dict[str, float]:
    from dailypapers.search.engines.vector_files import publisher, reader

    before = reader.current()
    new = synthetic(real, 1_000, rng)
    added = store(new)
    start = time.perf_counter()
    publisher.publish(MODEL)
    append_s = time.perf_counter() - start
    current = reader.current()
    assert current.base_dir == before.base_dir and len(current.delta_ids) == 1_000
    found = [current.nearest(v, 1)[0][0] for v in new[:100]]
    assert found == added[:100], "appended vectors not found"
    _, times = timed_runs(lambda q: current.nearest(q, 100), queries)
    with_delta = percentiles(times)
    log(f"append 1,000: {append_s:.2f} s; p50 with the delta {with_delta[0]} ms")
    fraction = publisher.MERGE_FRACTION
    publisher.MERGE_FRACTION = 0.0  # the next publish merges the delta into a new base
    try:
        store(synthetic(real, 1, rng))
        start = time.perf_counter()
        publisher.publish(MODEL)
        merge_s = time.perf_counter() - start
    finally:
        publisher.MERGE_FRACTION = fraction
    assert reader.current().base_dir != before.base_dir
    log(f"merge: {merge_s:.1f} s")
    return {
        "append_1000_s": round(append_s, 2),
        "hnsw_p50_ms_k100_with_1000_delta": with_delta[0],
        "merge_s": round(merge_s, 1),
    }


def sweep(corpus: np.ndarray, queries: np.ndarray) -> dict[str, object]:
    """Other graph settings on the same vectors: build time, size, recall@10 and @100."""
    from usearch.index import Index

    from dailypapers.search.engines.vector_files import reader

    truth = np.argsort(-(queries @ corpus.T), axis=1)[:, :100]
    out = {}
    for dtype, m in (("f16", 16), ("f16", 32), ("i8", 16), ("f32", 16)):
        index = Index(
            ndim=corpus.shape[1],
            metric="cos",
            dtype=dtype,
            connectivity=m,
            expansion_add=reader.EXPANSION_ADD,
            expansion_search=reader.EXPANSION_SEARCH,
        )
        start = time.perf_counter()
        index.add(np.arange(len(corpus), dtype=np.uint64), corpus)
        build = time.perf_counter() - start
        row = {"build_s": round(build, 1), "mb": round(index.serialized_length / 2**20, 1)}
        for k in (10, 100):
            count = math.ceil(k * reader.OVERSAMPLE)
            found = [index.search(q, count).keys.astype(np.int64) for q in queries]
            rescored = [
                f[np.argsort(-(corpus[f] @ q))][:k] for f, q in zip(found, queries, strict=True)
            ]
            row[f"recall{k}"] = recall(
                [r.tolist() for r in rescored], [t[:k].tolist() for t in truth], k
            )
        out[f"{dtype}_M{m}"] = row
        log(f"sweep {dtype} M={m}: {row}")
    return out


if __name__ == "__main__":
    main()
