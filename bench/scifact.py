"""SciFact (BEIR layout, test split) for the search benchmarks: loading and the metrics."""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DAILYPAPERS_SHARED_DATA", REPO.parent / "shared" / "data"))


@dataclass
class SciFact:
    docs: list[dict]  # {"_id", "title", "text", ...}
    query_ids: list[str]
    queries: list[str]
    qrels: dict[str, set[str]]  # query id -> relevant doc ids


def load(root: Path | None = None) -> SciFact:
    """The corpus, the test queries that have judgments, and the judgments. Exits with a
    message (and a JSON line saying so) when the data is absent."""
    root = root or DATA / "scifact-beir"
    if not (root / "corpus.jsonl.gz").exists():
        print(f"SciFact not found under {root}", file=sys.stderr)
        print(json.dumps({"skipped": f"no data at {root}"}))
        sys.exit(0)
    with gzip.open(root / "corpus.jsonl.gz", "rt") as f:
        docs = [json.loads(line) for line in f]
    qrels: dict[str, set[str]] = {}
    for line in (root / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(query, set()).add(doc)
    with open(root / "queries.jsonl") as f:
        texts = {q["_id"]: q["text"] for q in map(json.loads, f)}
    query_ids = sorted(qrels)
    return SciFact(docs, query_ids, [texts[q] for q in query_ids], qrels)


_DISCOUNTS = 1 / np.log2(np.arange(2, 12))


def ndcg10(ranked: Sequence[str], relevant: set[str]) -> float:
    """nDCG@10 with binary relevance, as pytrec_eval / BEIR compute it."""
    gains = np.array([doc in relevant for doc in ranked[:10]], dtype=float)
    ideal = _DISCOUNTS[: min(len(relevant), 10)].sum()
    return float(gains @ _DISCOUNTS[: len(gains)]) / ideal


def recall(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)
