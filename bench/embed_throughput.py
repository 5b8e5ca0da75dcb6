"""Embedding throughput and retrieval quality: ways of running the ONNX encoder, against the
previous recipe and against the PyTorch model.

Usage: python bench/embed_throughput.py [--model DIR] [--reference-cache FILE.npz]
           [--time-docs N] [--rounds N] [--options A,B,...] [--backfill N] [--arxiv N]
           [--threads N] [--max-tokens N]

Builds the models into a temp dir (the site's recipe, int8 and float, and the previous recipe,
version 3, as the reference) unless --model names the site's built one. Times each option on
the same --time-docs SciFact abstracts (default 1,000, spread over the corpus), --rounds times
(default 3) in alternating order, and reports the median abstracts/s of each with its ratio to
the reference, the way the site embedded before: the previous recipe, one text per call on
--threads intra-op threads. Options (all by default):

  reference        previous recipe (SkipLayerNormalization), int8, one call at a time, T threads
  int8_intra       this recipe, int8, one call at a time on T intra-op threads (queries do this)
  int8_workers     this recipe, int8, T calls at once on T Python threads, 1 core each: what
                   embed_missing() does (the `embed` command and the worker's task)
  int8_processes   this recipe, int8, T processes of 1 thread each (not used by the site)
  float_batch32    this recipe, float, length-sorted batches of 32, T intra-op threads
  float_workers    this recipe, float, one text per call, T calls at once

Then encodes the whole corpus (5,183 abstracts) the int8_workers way and with the previous
recipe and scores nDCG@10 on the 300 test queries for each and for the PyTorch
sentence-transformers model (256 tokens, in bench/model_fidelity.py's virtualenv; about 3 min
on 2 cores, or read from / written to --reference-cache).
--backfill N also times embed_missing() end to end on N arXiv papers (sampled over the shared
dumps) in a fresh SQLite database: the previous way (reference model, workers=1) against
the site's, alternating, --rounds times; and how long progress() takes.
--arxiv N also times the reference and int8_workers on N arXiv abstracts.
--threads (default $DAILYPAPERS_EMBED_THREADS, else 2) and --max-tokens (default
$DAILYPAPERS_EMBED_MAX_TOKENS, else the model's) as the site's settings of the same names.
Data: $DAILYPAPERS_SHARED_DATA, default <repo>/../shared/data.
Last line: {"abstracts_per_s": ..., "reference_abstracts_per_s": ..., "speedup": ...,
"options": {...}, "ndcg10_delta": ..., ...}
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import model_fidelity  # noqa: E402
import scifact  # noqa: E402
from scifact import DATA  # noqa: E402

from dailypapers.search.encoder import Encoder, paper_text  # noqa: E402

OPTIONS = [
    "reference",
    "int8_intra",
    "int8_workers",
    "int8_processes",
    "float_batch32",
    "float_workers",
]
# The recipe the site used before this one: residual Add + LayerNorm fused into
# SkipLayerNormalization, which onnxruntime's CPU kernel runs slowly.
PREVIOUS_RECIPE = {"version": 3, "fuse": True}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu() -> dict[str, object]:
    """What decides int8 speed: cores and the vector extensions."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
    return {"cores": os.cpu_count(), "flags": [f for f in wanted if f in flags]}


def ndcg_at_10(queries: np.ndarray, docs: np.ndarray, data: scifact.SciFact) -> float:
    """Mean nDCG@10 of ranking every document by cosine to each query."""
    scores = queries @ docs.T
    doc_ids = [d["_id"] for d in data.docs]
    total = 0.0
    for row, query in enumerate(data.query_ids):
        top = np.argsort(-scores[row], kind="stable")[:10]
        total += scifact.ndcg10([doc_ids[j] for j in top], data.qrels[query])
    return total / len(data.query_ids)


def reference(
    doc_texts, query_texts, doc_ids, cache: Path | None, threads: int
) -> tuple[np.ndarray, ...]:
    """PyTorch sentence-transformers vectors for docs and queries, optionally cached."""
    if cache and cache.exists():
        saved = np.load(cache)
        if list(saved["doc_ids"]) == doc_ids and len(saved["queries"]) == len(query_texts):
            log(f"reference vectors from {cache}")
            return saved["docs"], saved["queries"]
    log(f"reference: PyTorch, {len(doc_texts)} docs ...")
    docs, made = model_fidelity.pytorch_vectors(doc_texts, threads)
    log(f"reference: {made['max_seq_length']} tokens, {made['per_s']} abstracts/s")
    queries, _ = model_fidelity.pytorch_vectors(query_texts, threads)
    if cache:
        np.savez(cache, docs=docs, queries=queries, doc_ids=np.array(doc_ids))
    return docs, queries


def arxiv_papers(n: int) -> list[tuple[str, str, str]]:
    """(arXiv id, title, abstract) of about n papers spread evenly over the shared dumps
    (the 1990-2019 cs metadata and the 2025-2026 daily listings, as the site imports them)."""
    paths = sorted((DATA / "arxiv-cs-meta-1990-2019").glob("*.jsonl.gz")) + sorted(
        (DATA / "arxiv-daily-listings-2025-2026").glob("*.jsonl.gz")
    )
    records = []
    for path in paths:
        with gzip.open(path, "rt") as f:
            records.extend(f)
    step = max(1, len(records) // n) if n else 1
    papers = []
    for line in records[::step][:n]:
        paper = json.loads(line)
        papers.append((paper["id"], paper["title"], paper.get("abstract") or ""))
    return papers


# int8_processes: each child process holds an encoder of one thread.
_child: Encoder | None = None


def _child_init(model_dir: str, max_tokens: int | None) -> None:
    global _child
    _child = Encoder.load(Path(model_dir), threads=1, max_tokens=max_tokens)


def _child_encode(texts: list[str]) -> np.ndarray:
    assert _child is not None
    return _child.encode(texts)


def encoders(models: dict[str, Path], options: list[str], threads: int, max_tokens: int | None):
    """Each option's way of encoding a list of texts, and a function closing what it opened."""
    opened: list[ProcessPoolExecutor] = []

    def load(model: str, n: int) -> Encoder:
        return Encoder.load(models[model], threads=n, max_tokens=max_tokens)

    ways: dict[str, Callable[[list[str]], np.ndarray]] = {}
    for option in options:
        if option == "reference":
            ways[option] = load("previous", threads).encode
        elif option == "int8_intra":
            ways[option] = load("int8", threads).encode
        elif option == "int8_workers":
            one = load("int8", 1)
            ways[option] = lambda texts, one=one: one.encode(texts, workers=threads)
        elif option == "int8_processes":
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(
                threads, context, _child_init, (str(models["int8"]), max_tokens)
            )
            opened.append(pool)

            def by_processes(texts: list[str], pool: ProcessPoolExecutor = pool) -> np.ndarray:
                chunks = [texts[i : i + 16] for i in range(0, len(texts), 16)]
                return np.concatenate(list(pool.map(_child_encode, chunks)))

            ways[option] = by_processes
        elif option == "float_batch32":
            ways[option] = load("float", threads).encode
        elif option == "float_workers":
            one = load("float", 1)
            ways[option] = lambda texts, one=one: one.encode(texts, batch_size=1, workers=threads)
        else:
            raise SystemExit(f"unknown option {option!r}; options: {', '.join(OPTIONS)}")

    def close() -> None:
        for pool in opened:
            pool.shutdown()

    return ways, close


def race(ways: dict[str, Callable[[list[str]], np.ndarray]], texts: list[str], rounds: int):
    """Median and every abstracts/s of each way on `texts`, `rounds` times, alternating the
    order (the machine may be shared), after a warm-up."""
    for way in ways.values():
        way(texts[:32])
    runs: dict[str, list[float]] = {name: [] for name in ways}
    names = list(ways)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            ways[name](texts)
            runs[name].append(len(texts) / (time.perf_counter() - started))
            log(f"  round {r + 1}: {name} {runs[name][-1]:.1f} abstracts/s")
    return {name: (statistics.median(per_s), per_s) for name, per_s in runs.items()}


def figures(timed: dict, base: str = "reference") -> dict[str, dict]:
    base_rate = timed[base][0] if base in timed else None
    return {
        name: {
            "abstracts_per_s": round(median, 1),
            "ratio": round(median / base_rate, 3) if base_rate else None,
            "runs": [round(x, 1) for x in runs],
        }
        for name, (median, runs) in timed.items()
    }


def backfill(n: int, models: dict[str, Path], threads: int, rounds: int) -> dict[str, object]:
    """embed_missing() on n arXiv papers in a fresh database: the previous way against the
    site's, each run from no embeddings; and the cost of progress()."""
    home = Path(tempfile.mkdtemp(prefix="dailypapers-backfill-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DAILYPAPERS_HOME=str(home),
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
        DAILYPAPERS_EMBED_THREADS=str(threads),
    )
    from dailypapers.cli import setup

    setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    from dailypapers.papers.models import Paper
    from dailypapers.search import embedding
    from dailypapers.search.models import Embedding

    call_command("migrate", verbosity=0)
    papers = arxiv_papers(n)
    Paper.objects.bulk_create(
        Paper(arxiv_id=pk, title=title, abstract=abstract) for pk, title, abstract in papers
    )
    log(f"backfill: {len(papers)} arXiv papers in {home}")

    def run(model: str, workers: int) -> float:
        settings.DAILYPAPERS_MODEL_DIR = models[model]
        embedding._encoders.clear()
        Embedding.objects.all().delete()
        shutil.rmtree(home / "vectors", ignore_errors=True)
        started = time.perf_counter()
        done = embedding.embed_missing(workers=workers)
        assert done == len(papers), done
        return done / (time.perf_counter() - started)

    ways = {"reference": ("previous", 1), "int8_workers": ("int8", threads)}
    runs: dict[str, list[float]] = {name: [] for name in ways}
    for r in range(rounds):
        for name in list(ways) if r % 2 == 0 else list(ways)[::-1]:
            runs[name].append(run(*ways[name]))
            log(f"  backfill round {r + 1}: {name} {runs[name][-1]:.1f} papers/s")
    timed = {name: (statistics.median(x), x) for name, x in runs.items()}
    embedding.encoder()  # loaded in a web process already
    started = time.perf_counter()
    cached = embedding.progress()
    cached_ms = (time.perf_counter() - started) * 1000
    cache.delete(embedding.PROGRESS_KEY)
    started = time.perf_counter()
    counted = embedding.progress()
    counted_ms = (time.perf_counter() - started) * 1000
    assert cached == counted == (len(papers), len(papers)), (cached, counted)
    shutil.rmtree(home, ignore_errors=True)
    return {
        "papers": len(papers),
        "options": figures(timed),
        "speedup": round(timed["int8_workers"][0] / timed["reference"][0], 3),
        "progress_cached_ms": round(cached_ms, 2),
        "progress_counted_ms": round(counted_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="the site's built model dir (default: build)")
    parser.add_argument("--reference-cache", type=Path, help=".npz for the PyTorch vectors")
    parser.add_argument("--time-docs", type=int, default=1000, help="abstracts timed per run")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each option")
    parser.add_argument("--options", default=",".join(OPTIONS), help="comma-separated")
    parser.add_argument("--backfill", type=int, default=0, help="also time embed_missing()")
    parser.add_argument("--arxiv", type=int, default=0, help="also time N arXiv abstracts")
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("DAILYPAPERS_EMBED_THREADS") or 2)
    )
    max_tokens = os.environ.get("DAILYPAPERS_EMBED_MAX_TOKENS")
    parser.add_argument("--max-tokens", type=int, default=int(max_tokens) if max_tokens else None)
    args = parser.parse_args()
    options = [o for o in args.options.split(",") if o]
    data = scifact.load()
    doc_ids = [d["_id"] for d in data.docs]
    doc_texts = [paper_text(d["title"], d["text"]) for d in data.docs]
    query_texts = data.queries

    from dailypapers.search.setup import build_model

    work = Path(tempfile.mkdtemp(prefix="dailypapers-embed-"))
    models = {"int8": args.model or work / "int8", "float": work / "float"}
    models["previous"] = work / "previous"
    log(f"building the models into {work} ...")
    if args.model is None:
        build_model.build(models["int8"])
    build_model.build(models["float"], recipe={**build_model.RECIPE, "quantize": None})
    build_model.build(models["previous"], recipe={**build_model.RECIPE, **PREVIOUS_RECIPE})

    step = max(1, len(doc_texts) // args.time_docs)
    timed_texts = doc_texts[::step][: args.time_docs]
    log(f"timing {', '.join(options)} on {len(timed_texts)} abstracts, {args.threads} threads")
    ways, close = encoders(models, options, args.threads, args.max_tokens)
    try:
        timed = race(ways, timed_texts, args.rounds)
    finally:
        close()
    result: dict[str, object] = {}
    if "reference" in timed and "int8_workers" in timed:
        result["abstracts_per_s"] = round(timed["int8_workers"][0], 1)
        result["reference_abstracts_per_s"] = round(timed["reference"][0], 1)
        result["speedup"] = round(timed["int8_workers"][0] / timed["reference"][0], 3)
    result["options"] = figures(timed)

    log("quality: the whole corpus, int8 workers and the previous recipe ...")
    site = Encoder.load(models["int8"], threads=1, max_tokens=args.max_tokens)
    docs = site.encode(doc_texts, workers=args.threads)
    previous = Encoder.load(models["previous"], threads=args.threads, max_tokens=args.max_tokens)
    previous_docs = previous.encode(doc_texts)
    queries = Encoder.load(models["int8"], threads=args.threads, max_tokens=args.max_tokens)
    started = time.perf_counter()
    for query in query_texts[:50]:
        queries.encode([query])
    query_ms = (time.perf_counter() - started) / 50 * 1000
    ndcg_ours = ndcg_at_10(queries.encode(query_texts), docs, data)
    ndcg_previous = ndcg_at_10(previous.encode(query_texts), previous_docs, data)
    ref_docs, ref_queries = reference(
        doc_texts, query_texts, doc_ids, args.reference_cache, args.threads
    )
    ndcg_ref = ndcg_at_10(ref_queries, ref_docs, data)
    cosines = (docs * ref_docs).sum(1)
    result.update(
        {
            "ndcg10_delta": round(ndcg_ours - ndcg_ref, 4),
            "ndcg10_reference": round(ndcg_ref, 4),
            "ndcg10_ours": round(ndcg_ours, 4),
            "ndcg10_previous_recipe": round(ndcg_previous, 4),
            "cosine_to_reference_mean": round(float(cosines.mean()), 4),
            "cosine_to_reference_min": round(float(cosines.min()), 4),
            "cosine_to_previous_recipe_mean": round(float((docs * previous_docs).sum(1).mean()), 5),
            "query_ms": round(query_ms, 1),
            "max_tokens": site.max_tokens,
            "threads": args.threads,
            "timed_docs": len(timed_texts),
            "rounds": args.rounds,
            "docs": len(doc_texts),
            "queries": len(query_texts),
            "cpu": cpu(),
            "load_average": round(os.getloadavg()[0], 2),
            "recipe": site.meta.get("recipe"),
        }
    )
    if args.arxiv:
        texts = [paper_text(t, a) for _, t, a in arxiv_papers(args.arxiv)]
        ways, close = encoders(models, ["reference", "int8_workers"], args.threads, None)
        try:
            result["arxiv"] = {"abstracts": len(texts), **figures(race(ways, texts, args.rounds))}
        finally:
            close()
    if args.backfill:
        result["backfill"] = backfill(args.backfill, models, args.threads, args.rounds)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
