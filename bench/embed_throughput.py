"""Embedding throughput and retrieval quality: the ONNX encoder against the PyTorch model.

Usage: python bench/embed_throughput.py [--model DIR] [--reference-cache FILE.npz] [--arxiv N]
                                        [--threads N] [--max-tokens N]

Builds the model into a temp dir unless --model names a built one; encodes the SciFact corpus
(BEIR test split, 5,183 abstracts) with Encoder.encode, timing it (abstracts/s), and scores
nDCG@10 on the 300 test queries for ours and for the PyTorch sentence-transformers model
(256 tokens, in bench/model_fidelity.py's virtualenv; about 3 min on 2 cores, or read from /
written to --reference-cache).
--arxiv N also times N real arXiv abstracts. --threads (default $DAILYPAPERS_EMBED_THREADS,
else 2) and --max-tokens (default $DAILYPAPERS_EMBED_MAX_TOKENS, else the model's) as the site's
settings of the same names.
Data: $DAILYPAPERS_SHARED_DATA, default <repo>/../shared/data.
Last line: {"abstracts_per_s": ..., "ndcg10_delta": ..., "ndcg10_reference": ..., ...}
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import model_fidelity  # noqa: E402
import scifact  # noqa: E402
from scifact import DATA  # noqa: E402

from dailypapers.search.encoder import Encoder, paper_text  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


def arxiv_abstracts(n: int) -> list[str]:
    texts = []
    for path in sorted((DATA / "arxiv-daily-listings-2025-2026").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                paper = json.loads(line)
                texts.append(paper_text(paper["title"], paper.get("abstract") or ""))
                if len(texts) >= n:
                    return texts
    return texts


def rate(encoder: Encoder, texts: list[str], repeats: int = 1) -> tuple[float, np.ndarray]:
    """Best abstracts/s over `repeats` runs (the machine is shared) and the vectors."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        vectors = encoder.encode(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="a built model dir (default: build one)")
    parser.add_argument("--reference-cache", type=Path, help=".npz for the PyTorch vectors")
    parser.add_argument("--arxiv", type=int, default=0, help="also time N arXiv abstracts")
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("DAILYPAPERS_EMBED_THREADS") or 2)
    )
    max_tokens = os.environ.get("DAILYPAPERS_EMBED_MAX_TOKENS")
    parser.add_argument("--max-tokens", type=int, default=int(max_tokens) if max_tokens else None)
    args = parser.parse_args()
    data = scifact.load()
    doc_ids = [d["_id"] for d in data.docs]
    doc_texts = [paper_text(d["title"], d["text"]) for d in data.docs]
    query_texts = data.queries

    model_dir = args.model
    if model_dir is None:
        from dailypapers.search import build_model

        model_dir = Path(tempfile.mkdtemp(prefix="dailypapers-embed-")) / "model"
        log(f"building the model into {model_dir} ...")
        build_model.build(model_dir)
    encoder = Encoder.load(model_dir, threads=args.threads, max_tokens=args.max_tokens)
    encoder.encode(doc_texts[:64])  # warm-up: first runs allocate
    log(f"ours: {encoder.name}, {encoder.max_tokens} tokens, {args.threads} threads ...")
    per_s, docs = rate(encoder, doc_texts)
    log(f"ours: {per_s:.1f} abstracts/s")
    started = time.perf_counter()
    for query in query_texts[:50]:
        encoder.encode([query])
    query_ms = (time.perf_counter() - started) / 50 * 1000
    ndcg_ours = ndcg_at_10(encoder.encode(query_texts), docs, data)

    ref_docs, ref_queries = reference(
        doc_texts, query_texts, doc_ids, args.reference_cache, args.threads
    )
    ndcg_ref = ndcg_at_10(ref_queries, ref_docs, data)
    result = {
        "abstracts_per_s": round(per_s, 1),
        "ndcg10_delta": round(ndcg_ours - ndcg_ref, 4),
        "ndcg10_reference": round(ndcg_ref, 4),
        "ndcg10_ours": round(ndcg_ours, 4),
        "cosine_to_reference_mean": round(float((docs * ref_docs).sum(1).mean()), 4),
        "cosine_to_reference_min": round(float((docs * ref_docs).sum(1).min()), 4),
        "query_ms": round(query_ms, 1),
        "max_tokens": encoder.max_tokens,
        "threads": args.threads,
        "docs": len(doc_texts),
        "queries": len(query_texts),
        "recipe": encoder.meta.get("recipe"),
    }
    if args.arxiv:
        texts = arxiv_abstracts(args.arxiv)
        result["arxiv_abstracts_per_s"] = round(rate(encoder, texts)[0], 1)
        log(f"arXiv: {result['arxiv_abstracts_per_s']} abstracts/s on {len(texts)} abstracts")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
