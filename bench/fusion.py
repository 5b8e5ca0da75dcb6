"""How the fusion weight of hybrid search was chosen: every weight from 0 (semantic only) to 1
(keyword only), applied by the product's own ``selectors.fuse`` to the keyword and semantic
lists of two public query sets:

* SciFact (BEIR test split, 300 claims over 5,183 abstracts): nDCG@10;
* known-item queries (bench/known_item.py's saved set over the Hugging Face corpus, 400
  sentences and 400 keyword queries): MRR@10 of the target paper.

Each set's lists are collected once, in a process of its own (one database each), then the
weights are swept over them. The chosen weight is the one with the best worst-case margin over
the better single list across the three measures (hybrid must beat both lists everywhere).

Usage: python bench/fusion.py [--queries FILE]   (default var/known-item-queries.json;
run bench/known_item.py --write-queries FILE once to make it)
Last line: {"weights": {"0.0": {"scifact_ndcg10": ..., "sentence_mrr10": ...,
    "keywords_mrr10": ...}, ...}, "best": ..., "keyword": {...}, "semantic": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import scifact  # noqa: E402

DEPTH = 100
WEIGHTS = [round(i / 20, 2) for i in range(21)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=Path, default=REPO / "var" / "known-item-queries.json")
    parser.add_argument("--keep", type=Path, help="also save the collected lists in this folder")
    parser.add_argument("--collect", choices=["scifact", "known-item"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collect:
        collect(args.collect, args.queries, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        lists = {}
        for name in ("scifact", "known-item"):
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, __file__, "--collect", name, "--queries", str(args.queries)]
            subprocess.run([*command, "--out", str(out)], check=True)
            lists[name] = json.loads(out.read_text())
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / out.name).write_text(out.read_text())
        _django(Path(tmp) / "sweep")
    from dailypapers.search import selectors

    def measures(rank: Any) -> dict[str, float]:
        """rank(keyword, semantic) -> ranked ids, averaged over each query set."""
        scores = {}
        qrels = lists["scifact"]["qrels"]
        total = sum(scifact.ndcg10(rank(q), set(qrels[q["id"]])) for q in lists["scifact"]["q"])
        scores["scifact_ndcg10"] = float(total) / len(lists["scifact"]["q"])
        for kind in ("sentence", "keywords"):
            queries = [q for q in lists["known-item"]["q"] if q["kind"] == kind]
            scores[f"{kind}_mrr10"] = sum(_rr(rank(q), q["target"]) for q in queries) / len(queries)
        return {k: round(v, 4) for k, v in scores.items()}

    def fused(weight: float):
        return lambda q: selectors.fuse(_pairs(q["keyword"]), _pairs(q["semantic"]), weight)

    keyword = measures(lambda q: [pk for pk, _ in q["keyword"]])
    semantic = measures(lambda q: [pk for pk, _ in q["semantic"]])
    sweep = {str(w): measures(fused(w)) for w in WEIGHTS}
    best_single = {k: max(keyword[k], semantic[k]) for k in keyword}

    def worst_margin(w: str) -> float:
        return min(sweep[w][k] - best_single[k] for k in best_single)

    best = max(sweep, key=worst_margin)
    for w, figures in sweep.items():
        mark = "  <- best" if w == best else ""
        margin = worst_margin(w)
        print(f"weight {w:>4}: {figures}  worst margin {margin:+.4f}{mark}", file=sys.stderr)
    print(f"keyword only: {keyword}\nsemantic only: {semantic}", file=sys.stderr)
    figures = {"weights": sweep, "best": float(best), "keyword": keyword, "semantic": semantic}
    print(json.dumps({**figures, "best_worst_margin": round(worst_margin(best), 4)}))


def _pairs(items: list[list[Any]]) -> list[tuple[Any, float]]:
    return [(pk, score) for pk, score in items]


def _rr(ranked: list[Any], target: str) -> float:
    return 1 / (ranked.index(target) + 1) if target in ranked[:10] else 0.0


def _django(home: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(DAILYPAPERS_HOME=str(home), DJANGO_SETTINGS_MODULE="dailypapers.settings")
    from dailypapers.cli import setup

    setup()


def collect(name: str, queries_file: Path, out: Path) -> None:
    """Write each query's keyword and semantic lists, as (external id, score) pairs."""
    if name == "scifact":
        home = Path(tempfile.mkdtemp(prefix="dailypapers-fusion-"))
        _django(home)
        data = scifact.load()
        from django.core.management import call_command

        from dailypapers.papers.models import Paper
        from dailypapers.search import embedding, keyword_index

        call_command("migrate", verbosity=0)
        Paper.objects.bulk_create(
            Paper(arxiv_id=f"scifact/{d['_id']}", title=d["title"], abstract=d["text"])
            for d in data.docs
        )
        keyword_index.sync()
        embedding.embed_missing()
        queries = [{"id": i, "text": t} for i, t in zip(data.query_ids, data.queries, strict=True)]
        extra = {"qrels": {q: sorted(docs) for q, docs in data.qrels.items()}}
        prefix = "scifact/"
    else:
        saved = json.loads(queries_file.read_text())
        _django(REPO / "var" / "bench-known-item")
        from dailypapers.search import keyword_index

        keyword_index.sync()
        queries, extra, prefix = saved["queries"], {}, ""
    from dailypapers.papers.models import Paper
    from dailypapers.search import lexical, selectors
    from dailypapers.search.query import parse_query

    name_of = {pk: a.removeprefix(prefix) for pk, a in Paper.objects.values_list("id", "arxiv_id")}
    for q in queries:
        parsed = parse_query(q["text"])
        q["keyword"] = [(name_of[pk], s) for pk, s in lexical.ranked(parsed, DEPTH)]
        q["semantic"] = [(name_of[pk], s) for pk, s in selectors.semantic_ranked(parsed, DEPTH)]
    out.write_text(json.dumps({"q": queries, **extra}))


if __name__ == "__main__":
    main()
