"""Name queries: people type a paper's name ("MinerU2.5", "We-Math 2.0", "Kimi K3"); is that
paper first? Queries come from the Hugging Face corpus of bench/known_item.py: the part of a
title before its colon, when it reads as a name (1 to 4 words, at most 40 characters, with a
capital past the first letter or a digit: "ConvLLaVA", "Qwen2.5-VL", "GPT-4o"). A name that
heads several titles goes to the paper that coined it: the first published. --sample draws that
many names (fixed --seed).

Usage: python bench/name_queries.py [--home DIR] [--sample N] [--seed S]

--home is known_item.py's (default var/bench-known-item); run known_item.py once to build it.
Each query runs through ``selectors.search`` (keyword, hybrid) in process.
Last line: {"queries": ..., "keyword_mrr10": ..., "keyword_first": ..., "hybrid_mrr10": ...,
    "hybrid_first": ..., "hybrid_ms": ..., "misses": [[name, target, first found], ...]}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^(?=.{2,40}$)(?=.*(?:\d|\w[A-Z]))[^\s:]+(?: [^\s:]+){0,3}$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=REPO / "var" / "bench-known-item")
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.update(
        DAILYPAPERS_HOME=str(args.home.resolve()), DJANGO_SETTINGS_MODULE="dailypapers.settings"
    )
    os.environ.pop("DATABASE_URL", None)
    from dailypapers.cli import setup

    setup()
    from dailypapers.papers.models import Paper
    from dailypapers.search import selectors

    coined: dict[str, tuple[object, str, str]] = {}
    rows = Paper.objects.filter(hidden=False).values_list("arxiv_id", "title", "published")
    for ident, title, published in rows.iterator(chunk_size=5000):
        head, colon, _ = title.partition(":")
        name = " ".join(head.split())
        if not colon or not NAME.match(name):
            continue
        key = name.lower()
        if key not in coined or (published and published < coined[key][0]):
            coined[key] = (published, ident, name)
    names = sorted(coined.values(), key=lambda c: c[1])
    random.Random(args.seed).shuffle(names)
    names = names[: args.sample]
    arxiv_of = dict(Paper.objects.values_list("id", "arxiv_id"))
    result: dict[str, object] = {"queries": len(names)}
    for system, options in (("keyword", {"semantic": False}), ("hybrid", {})):
        ranks, seconds, misses = [], [], []
        for _, target, name in names:
            started = time.perf_counter()
            found = [arxiv_of[pk] for pk in selectors.search(name, **options).ids[:10]]
            seconds.append(time.perf_counter() - started)
            rank = found.index(target) + 1 if target in found else None
            ranks.append(rank)
            if rank != 1:
                misses.append([name, target, found[0] if found else None])
        result[f"{system}_mrr10"] = round(statistics.mean(1 / r if r else 0 for r in ranks), 4)
        result[f"{system}_first"] = round(sum(r == 1 for r in ranks) / len(ranks), 4)
        result[f"{system}_ms"] = round(1000 * statistics.mean(seconds), 1)
        if system == "hybrid":
            result["misses"] = misses[:40]
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
