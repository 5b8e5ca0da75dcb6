"""Search quality on SciFact (BEIR test split): keyword, semantic and hybrid, through the same
functions the search page uses, on a fresh database.

Usage: python bench/search_quality.py [--postgres]
Needs the built model (make setup). Data: $DAILYPAPERS_SHARED_DATA, default ../shared/data.
Last line: {"ndcg10_lexical": ..., "ndcg10_semantic": ..., "ndcg10_hybrid": ...,
            "recall100_hybrid": ..., ...}
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import scifact


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="embedded PostgreSQL + pgvector")
    args = parser.parse_args()
    data = scifact.load()
    os.environ.update(
        DAILYPAPERS_HOME=tempfile.mkdtemp(prefix="dailypapers-bench-"),
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from embedded_pg import postgres_url

            os.environ["DATABASE_URL"] = stack.enter_context(postgres_url())
        run(data, "postgresql" if args.postgres else "sqlite")


def run(data: scifact.SciFact, database: str) -> None:
    from dailypapers.cli import setup

    setup()
    from django.core.management import call_command

    from dailypapers.papers.models import Paper
    from dailypapers.search import embedding, keyword_index, lexical, selectors
    from dailypapers.search.query import parse_query

    call_command("migrate", verbosity=0)
    Paper.objects.bulk_create(
        Paper(arxiv_id=f"scifact/{d['_id']}", title=d["title"], abstract=d["text"])
        for d in data.docs
    )
    keyword_index.sync()
    start = time.perf_counter()
    embedding.embed_missing(progress=lambda n: print(".", end="", file=sys.stderr, flush=True))
    print(f"\nembedded {len(data.docs)} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    rows = Paper.objects.values_list("id", "arxiv_id")
    doc_of = {pk: arxiv_id.removeprefix("scifact/") for pk, arxiv_id in rows}

    lists = {
        "lexical": lambda text: [pk for pk, _ in lexical.ranked(parse_query(text), 100)],
        "semantic": lambda text: [
            pk for pk, _ in selectors.semantic_ranked(parse_query(text), 100)
        ],
        "hybrid": lambda text: selectors.search(text).ids,
    }
    figures: dict[str, object] = {"database": database, "queries": len(data.queries)}
    for name, find in lists.items():
        ndcg = recall = 0.0
        for query_id, text in zip(data.query_ids, data.queries, strict=True):
            ranked = [doc_of[pk] for pk in find(text)]
            ndcg += scifact.ndcg10(ranked, data.qrels[query_id])
            recall += scifact.recall(ranked, data.qrels[query_id], 100)
        figures[f"ndcg10_{name}"] = round(ndcg / len(data.queries), 4)
        figures[f"recall100_{name}"] = round(recall / len(data.queries), 4)
        print(f"{name}: {figures[f'ndcg10_{name}']}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
