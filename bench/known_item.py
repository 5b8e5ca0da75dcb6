"""Known-item search: a user half remembers one paper; is it first? For N sampled papers of a
real corpus, two queries each, built from the paper itself with a fixed seed:

* sentence: one sentence of the abstract (not the first; 12-40 words; no TeX, links or ids),
  half remembered: its punctuation gone, about 20% of its words dropped, lower-cased half the
  time;
* keywords: 3-5 of the paper's highest tf-idf words (title + abstract over the corpus; no stop
  words, no digits; seen in at least --min-df papers, so that a name coined by this paper
  alone does not give it away), in random order.

Systems, each measured by MRR@10, Recall@10 and Recall@100 of the target paper and by mean
in-process latency per query:

* baseline: the "20-line script", a plain SQLite FTS5 table (porter unicode61,
  remove_diacritics 2) over title, abstract and authors, in memory; the query's words quoted
  and OR-ed, ordered by bm25();
* keyword, semantic, hybrid: the product, ``selectors.search(text, semantic=False)``,
  ``selectors.search(text, keyword=False)`` and ``selectors.search(text)``.

Usage: python bench/known_item.py [--arxiv] [--home DIR] [--papers N] [--seed S]
           [--write-queries FILE | --queries FILE] [--dump FILE] [--embed-sample N]
           [--postgres]

The corpus is the Hugging Face daily papers of ../shared/data/hf-daily-papers (every paper
embedded), imported into --home (default var/bench-known-item), which later runs reuse. With
--arxiv it is the arXiv dumps instead (../shared/data/arxiv-*, ~237k papers; default home
var/bench-known-item-arxiv): unless that folder is already wholly embedded, only the target
papers plus --embed-sample others (default 10,000) are embedded, which makes semantic search
easier than over the whole corpus (fewer neighbours); --embed-sample 0 skips semantic and
hybrid. A keyword index kept apart from the paper table (which the product's worker keeps
up; no benchmark runs one) is rebuilt with `dailypapers reindex` after an import, or when the
keyword list finds none of five papers by its title. --postgres runs the Hugging Face
corpus on a fresh embedded PostgreSQL + pgvector instead, imported and embedded each run
(about 3 minutes on 2 cores). --write-queries saves the query set as
JSON, --queries reruns a saved one. --dump writes, per query, the target and the top-100 arXiv
ids of every system, with scores where the system exposes them (the baseline's bm25; the
product's lists only if ``Results`` has ``scores``), for tuning a fusion offline:
{"corpus": ..., "note": ..., "queries": [{"target", "kind", "text", "baseline": {"ids": [...],
"scores": [...]}, "keyword": {"ids": [...], "scores": null}, "semantic": ..., "hybrid": ...}]}
Data: $DAILYPAPERS_SHARED_DATA, default ../shared/data. Needs the built model (make setup).
Last line: {"corpus": "hf-daily", "papers": ..., "queries": ..., "sentence": {"baseline_mrr10":
    ..., "baseline_recall10": ..., "baseline_recall100": ..., "baseline_ms": ..., "keyword_...":
    ..., "semantic_...": ..., "hybrid_...": ..., "found_by_none_top10": ..., ...},
    "keywords": {...}, ...}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from scifact import DATA  # noqa: E402

CLI = [sys.executable, "-m", "dailypapers.cli"]
KINDS = ("sentence", "keywords")
SYSTEMS = ("baseline", "keyword", "semantic", "hybrid")
DEPTH = 100  # ranks kept per list: Recall@100, and the dump
READY = "known-item-ready.json"  # written into the data folder once the corpus is imported


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Doc:
    pk: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]


@dataclass
class Outcome:
    """One system's answers to one kind of query: the target's rank (1-based) or None."""

    ranks: list[int | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    errors: int = 0


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arxiv", action="store_true", help="the arXiv dumps (~237k papers)")
    parser.add_argument("--home", type=Path, help="data folder, reused between runs")
    parser.add_argument("--papers", type=int, default=400, help="target papers (2 queries each)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-df", type=int, default=2, help="papers a keyword must be in")
    parser.add_argument("--queries", type=Path, help="read this saved query set")
    parser.add_argument("--write-queries", type=Path, help="save the query set here")
    parser.add_argument("--dump", type=Path, help="write every system's ranked lists here")
    parser.add_argument(
        "--embed-sample", type=int, default=10_000, help="with --arxiv: non-targets to embed"
    )
    parser.add_argument("--postgres", action="store_true", help="embedded PostgreSQL + pgvector")
    args = parser.parse_args()
    if args.postgres:
        if args.arxiv:
            sys.exit("--postgres measures the Hugging Face corpus only")
        from embedded_pg import postgres_url

        # A fresh server and data folder each run: the corpus is imported and embedded again.
        with postgres_url() as url, tempfile.TemporaryDirectory() as tmp:
            run(args, started, url, Path(tmp))
    else:
        run(args, started)


def run(
    args: argparse.Namespace, started: float, url: str | None = None, home: Path | None = None
) -> None:
    corpus = "arxiv" if args.arxiv else "hf-daily"
    if args.arxiv:
        dumps = sorted(DATA.glob("arxiv-*/*.jsonl.gz"))
        default_home = REPO / "var" / "bench-known-item-arxiv"
    else:
        dumps = sorted(DATA.glob("hf-daily-papers/*.jsonl.gz"))
        default_home = REPO / "var" / "bench-known-item"
    if not dumps:
        log(f"no {corpus} dumps under {DATA}")
        print(json.dumps({"skipped": f"no {corpus} dumps under {DATA}"}))
        return
    home = (home or args.home or default_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DAILYPAPERS_HOME=str(home), DJANGO_SETTINGS_MODULE="dailypapers.settings")
    if url:
        env["DATABASE_URL"] = url
    prepare(env, corpus, dumps, embed_all=not args.arxiv)
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    from dailypapers.cli import setup

    setup()

    docs = load_docs()
    by_arxiv = {d.arxiv_id: d for d in docs}
    log(f"{corpus}: {len(docs)} papers in {home}")
    if args.queries:
        saved = json.loads(args.queries.read_text())
        if saved.get("corpus") != corpus:
            log(f"WARNING: {args.queries} was built on the {saved.get('corpus')} corpus")
        args.seed, args.min_df = saved.get("seed"), saved.get("min_df")
        queries = [q for q in saved["queries"] if q["target"] in by_arxiv]
        if len(queries) < len(saved["queries"]):
            log(f"{len(saved['queries']) - len(queries)} saved queries target absent papers")
        log(f"read {len(queries)} queries from {args.queries}")
    else:
        queries = build_queries(docs, args.papers, args.seed, args.min_df)
        log(f"built {len(queries)} queries for {len(queries) // len(KINDS)} papers")
    if args.write_queries:
        args.write_queries.write_text(
            json.dumps(
                {"corpus": corpus, "seed": args.seed, "min_df": args.min_df, "queries": queries},
                indent=1,
            )
            + "\n"
        )
        log(f"wrote the queries to {args.write_queries}")

    embedded, note = embedded_papers(args.arxiv, docs, queries, args.embed_sample, args.seed)
    log(note)
    warning = keyword_index_ready(env, docs)
    systems = [s for s in SYSTEMS if embedded or s in ("baseline", "keyword")]
    search = {"baseline": Baseline(docs).search, **product_systems(dict(_pk_to_arxiv()))}
    figures: dict[str, Any] = {
        "corpus": corpus,
        "database": "postgresql" if url else "sqlite",
        "papers": len(docs),
        "embedded": embedded,
        "queries": sum(q["kind"] == KINDS[0] for q in queries),
        "seed": args.seed,
        "revision": revision(),
        "note": note,
    }
    if warning:
        figures["warning"] = warning
    outcomes = {(s, k): Outcome() for s in systems for k in KINDS}
    lists: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    for name in systems:
        for q in queries[:5]:  # load the model, map the vectors, warm the caches
            _try(search[name], q["text"])
        for q in queries:
            start = time.perf_counter()
            found = _try(search[name], q["text"])
            elapsed = time.perf_counter() - start
            out = outcomes[name, q["kind"]]
            if isinstance(found, str):  # a traceback
                out.errors += 1
                log(f"{name} crashed on {q['text']!r}:\n{found}")
                found = ([], None)
            ids, scores = found
            out.ranks.append(_rank(ids, q["target"]))
            out.seconds.append(elapsed)
            lists[name].append({"ids": ids[:DEPTH], "scores": scores})
        log(f"{name}: done")

    for kind in KINDS:
        row: dict[str, Any] = {}
        for name in systems:
            row.update(metrics(name, outcomes[name, kind]))
        row.update(misses(kind, systems, outcomes, queries, by_arxiv))
        figures[kind] = row
        log(f"{kind} ({figures['queries']} queries):")
        for name in systems:
            r = {k.removeprefix(name + "_"): v for k, v in row.items() if k.startswith(name)}
            log(f"  {name:9} {r}")
    if args.dump:
        dump(args.dump, figures, queries, systems, lists)
        log(f"wrote the ranked lists to {args.dump}")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


# -- the data folder ------------------------------------------------------------------------


def prepare(env: dict[str, str], corpus: str, dumps: list[Path], embed_all: bool) -> None:
    """Migrate; import the dumps unless this folder already holds them; embed every paper
    unless every paper already is (``embed_all``; --arxiv embeds a sample later instead)."""
    home = Path(env["DAILYPAPERS_HOME"])
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    marker = home / READY
    if marker.exists():
        ready = json.loads(marker.read_text())
        if ready.get("corpus") != corpus:
            sys.exit(f"{home} holds the {ready.get('corpus')} corpus; pick another --home")
    else:
        log(f"importing {len(dumps)} {corpus} dumps into {home}...")
        kind = "arxiv" if corpus == "arxiv" else "hf-daily"
        subprocess.run([*CLI, "import", kind, *map(str, dumps)], env=env, check=True)
        if "reindex" in _commands(env):  # a keyword index that the worker keeps up
            subprocess.run([*CLI, "reindex"], env=env, check=True)
        marker.write_text(json.dumps({"corpus": corpus, "dumps": [d.name for d in dumps]}))
    if not embed_all:
        return
    if "DATABASE_URL" in env:  # a fresh server each run
        todo = "every paper"
    else:
        papers, embedded = _counts(home)
        if embedded == papers and (home / "vectors" / "CURRENT").exists():
            return
        todo = f"{papers - embedded} papers"
    log(f"embedding {todo} (2-3 minutes for 10k on 2 cores)...")
    subprocess.run([*CLI, "embed"], env=env, check=True)


def keyword_index_ready(env: dict[str, str], docs: list[Doc]) -> str | None:
    """Whether the product's keyword list finds papers by their own titles. A keyword index
    kept apart from the paper table is brought up to date by a worker, which no benchmark
    runs: if the titles are not found and the product has a ``reindex`` command, run it and
    look again. Returns a warning when the keyword list still finds nothing."""
    from dailypapers.search import selectors

    probes = random.Random(0).sample(docs, min(5, len(docs)))
    pk_of = {d.arxiv_id: d.pk for d in probes}

    def finds() -> bool:
        try:
            return any(
                pk_of[d.arxiv_id] in selectors.search(d.title, semantic=False).ids for d in probes
            )
        except Exception:
            log(f"the keyword list crashed on a title:\n{traceback.format_exc()}")
            return False

    if finds():
        return None
    if "reindex" in _commands(env):
        log("the keyword list finds no paper by its title: dailypapers reindex...")
        subprocess.run([*CLI, "reindex"], env=env, check=True)
        if finds():
            return None
    warning = "the product's keyword list finds no probe paper by its exact title"
    log(f"WARNING: {warning}; its figures mean nothing")
    return warning


def _commands(env: dict[str, str]) -> list[str]:
    """The subcommands of ``dailypapers``."""
    listing = subprocess.run(
        [*CLI, "help", "--commands"], env=env, capture_output=True, text=True, check=True
    )
    return listing.stdout.split()


def revision() -> str:
    """The commit measured, "+changes" when src/ differs from it (read only)."""
    try:
        git = ["git", "-C", str(REPO)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        changed = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True)
    except OSError:
        return "unknown"
    if head.returncode:
        return "unknown"
    return head.stdout.decode().strip() + ("+changes" if changed.stdout.strip() else "")


def _counts(home: Path) -> tuple[int, int]:
    """Papers, and papers with an embedding, read straight from the SQLite file."""
    db = sqlite3.connect(home / "dailypapers.sqlite3")
    try:
        papers = db.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
        embedded = db.execute("SELECT count(*) FROM search_embedding").fetchone()[0]
    finally:
        db.close()
    return papers, embedded


def load_docs() -> list[Doc]:
    from dailypapers.papers.models import Paper

    rows = Paper.objects.filter(hidden=False).order_by("arxiv_id")
    fields = ("id", "arxiv_id", "title", "abstract", "authors")
    return [Doc(*row) for row in rows.values_list(*fields).iterator(chunk_size=10_000)]


def _pk_to_arxiv() -> Iterable[tuple[int, str]]:
    from dailypapers.papers.models import Paper

    return Paper.objects.values_list("id", "arxiv_id").iterator(chunk_size=10_000)


def embedded_papers(
    sample: bool, docs: list[Doc], queries: list[dict[str, Any]], others: int, seed: int
) -> tuple[int, str]:
    """How many papers semantic search can find, and a line saying so. For the arXiv corpus,
    unless it is embedded already, embed the targets plus ``others`` random papers."""
    from dailypapers.search import vectors

    count = vectors.count()
    if count >= len(docs) or not sample:
        return count, f"semantic search over all {count} embedded papers of {len(docs)}"
    if others <= 0:
        return 0, (
            f"semantic and hybrid skipped: {count} of {len(docs)} papers embedded "
            "and --embed-sample 0"
        )
    from dailypapers.search.models import Embedding

    have = set(Embedding.objects.values_list("paper_id", flat=True))
    pk_of = {d.arxiv_id: d.pk for d in docs}
    targets = {pk_of[q["target"]] for q in queries}
    rest = sorted(d.pk for d in docs if d.pk not in targets)
    wanted = targets | set(random.Random(seed).sample(rest, min(others, len(rest))))
    todo = [d for d in docs if d.pk in wanted and d.pk not in have]
    if todo:
        log(f"embedding {len(todo)} papers (the targets and a random sample)...")
        _embed(todo)
    count = vectors.count()
    return count, (
        f"SAMPLED semantic search: {count} of {len(docs)} papers embedded (every target and "
        f"{count - len(targets)} others at random), so semantic and hybrid face fewer "
        "neighbours than on the whole corpus and read optimistic"
    )


def _embed(docs: list[Doc]) -> None:
    """Embed exactly these papers, then publish the vector index (``dailypapers embed`` can
    only take the first N missing papers in id order)."""
    from django.utils import timezone

    from dailypapers.search import embedding, vectors
    from dailypapers.search.encoder import paper_text
    from dailypapers.search.models import Embedding

    enc = embedding.encoder()
    start = time.perf_counter()
    for i in range(0, len(docs), 256):
        batch = docs[i : i + 256]
        matrix = enc.encode([paper_text(d.title, d.abstract) for d in batch])
        now = timezone.now()
        Embedding.objects.bulk_create(
            [
                Embedding(paper_id=d.pk, model=enc.name, vector=v, embedded_at=now)
                for d, v in zip(batch, matrix, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["paper"],
            update_fields=["model", "vector", "embedded_at"],
        )
        done = i + len(batch)
        rate = done / (time.perf_counter() - start)
        print(f"\r{done}/{len(docs)} ({rate:.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    vectors.publish(enc.name)


# -- queries --------------------------------------------------------------------------------

# Sentence ends: ". " before a capital, digit or bracket, except after common abbreviations.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|et al|vs|etc|Fig|Figs|Eq|Eqs|Sec|cf|approx)\.)$")
# TeX, links, e-mail, arXiv ids: not what anybody remembers (and not fair to tokenisers).
_UNREMEMBERED = re.compile(
    r"[$\\{}^_@<>]|https?:|www\.|\.(?:com|org|io|net)\b|github|\b\d{4}\.\d{4,5}\b", re.I
)
_TEX = re.compile(r"\$[^$]*\$")
_URL = re.compile(r"https?://\S+|www\.\S+")
_KEYWORD = re.compile(r"[^\W\d_]{3,}")  # letters only, 3 or more


def sentences(abstract: str) -> list[str]:
    """The abstract's sentences, whitespace collapsed."""
    parts = _SENTENCE_END.split(" ".join(abstract.split()))
    merged: list[str] = []
    for part in parts:
        if merged and _ABBREVIATION.search(merged[-1]):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return merged


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def keyword_terms(doc: Doc) -> list[str]:
    """Candidate keywords of title + abstract, TeX and links removed, one entry per use."""
    text = _URL.sub(" ", _TEX.sub(" ", f"{doc.title} {doc.abstract}"))
    return _KEYWORD.findall(_fold(text))


def _singular(word: str) -> str:
    """A crude plural folding, enough to keep "memory" and "memories" from one query."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word.removesuffix("s")


def half_remembered(sentence: str, rng: random.Random) -> str:
    """The words of ``sentence`` without their punctuation (so no quotes or ``-word``),
    about 20% dropped at random, lower-cased half the time."""
    tokens = [re.sub(r"^\W+|\W+$", "", t) for t in sentence.split()]
    tokens = [t for t in tokens if t]
    drop = set(rng.sample(range(len(tokens)), round(len(tokens) * 0.2)))
    text = " ".join(t for i, t in enumerate(tokens) if i not in drop)
    return text.lower() if rng.random() < 0.5 else text


def build_queries(docs: list[Doc], n: int, seed: int, min_df: int) -> list[dict[str, Any]]:
    """``n`` papers drawn at random (``seed``) among those that have a usable sentence and
    three keywords; a sentence query and a keyword query for each."""
    from dailypapers.search.query import STOP_WORDS

    df: Counter[str] = Counter()
    for d in docs:  # not kept: 237k papers' words would take gigabytes
        df.update(set(keyword_terms(d)))
    total = len(docs)
    rng = random.Random(seed)
    order = list(docs)  # sorted by arXiv id: the same draw for the same corpus
    rng.shuffle(order)
    queries: list[dict[str, Any]] = []
    for doc in order:
        if len(queries) >= 2 * n:
            break
        usable = [
            s
            for s in sentences(doc.abstract)[1:]
            if 12 <= len(s.split()) <= 40 and not _UNREMEMBERED.search(s)
        ]
        tf = Counter(t for t in keyword_terms(doc) if t not in STOP_WORDS and df[t] >= min_df)
        ranked = sorted(tf, key=lambda t: (-tf[t] * math.log(total / df[t]), t))
        chosen: list[str] = []
        for term in ranked:  # one form per word: "model" or "models"
            if all(_singular(term) != _singular(c) for c in chosen):
                chosen.append(term)
            if len(chosen) == 5:
                break
        if not usable or len(chosen) < 3:
            continue
        source = rng.choice(usable)
        keywords = chosen[: rng.choice((3, 4, 5))]
        rng.shuffle(keywords)
        queries.append(
            {
                "target": doc.arxiv_id,
                "kind": "sentence",
                "text": half_remembered(source, rng),
                "source": source,
            }
        )
        queries.append({"target": doc.arxiv_id, "kind": "keywords", "text": " ".join(keywords)})
    if len(queries) < 2 * n:
        log(f"only {len(queries) // 2} papers have a usable sentence and three keywords")
    return queries


# -- systems --------------------------------------------------------------------------------

Found = tuple[list[str], list[float] | None]  # arXiv ids best first, and their scores


class Baseline:
    """What a skeptical user writes in 20 lines: FTS5 over title, abstract and authors, the
    words OR-ed, bm25() with its default weights."""

    def __init__(self, docs: list[Doc]) -> None:
        start = time.perf_counter()
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(arxiv_id UNINDEXED, title, abstract, "
            "authors, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?)",
            ((d.arxiv_id, d.title, d.abstract, ", ".join(d.authors)) for d in docs),
        )
        log(f"baseline index of {len(docs)} papers in {time.perf_counter() - start:.1f} s")

    def search(self, text: str) -> Found:
        words = re.findall(r"\w+", text.lower())
        if not words:
            return [], []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT arxiv_id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, DEPTH),
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]


def product_systems(arxiv_of: dict[int, str]) -> dict[str, Callable[[str], Found]]:
    """The product's three lists, through ``selectors.search`` only."""
    from dailypapers.search import selectors

    def run(**options: bool) -> Callable[[str], Found]:
        def find(text: str) -> Found:
            results = selectors.search(text, **options)
            ids = list(results.ids[:DEPTH])
            return [arxiv_of[pk] for pk in ids], _scores(results, ids)

        return find

    return {
        "keyword": run(semantic=False),
        "semantic": run(keyword=False),
        "hybrid": run(),
    }


def _scores(results: object, ids: list[int]) -> list[float] | None:
    """The product's scores for ``ids``, if ``Results`` exposes any (a ``scores`` mapping by
    paper id, or a list in the order of ``ids``); None when it gives ranks only."""
    scores = getattr(results, "scores", None)
    if isinstance(scores, Mapping):
        return [float(scores[pk]) if pk in scores else math.nan for pk in ids]
    if isinstance(scores, Sequence) and not isinstance(scores, str):
        return [float(s) for s in scores[: len(ids)]]
    return None


def _try(find: Callable[[str], Found], text: str) -> Found | str:
    try:
        return find(text)
    except Exception:
        return traceback.format_exc()


# -- figures --------------------------------------------------------------------------------


def _rank(ids: Sequence[str], target: str) -> int | None:
    try:
        return ids.index(target) + 1
    except ValueError:
        return None


def metrics(name: str, out: Outcome) -> dict[str, float | int]:
    n = len(out.ranks) or 1
    top = [r for r in out.ranks if r is not None]
    figures: dict[str, float | int] = {
        f"{name}_mrr10": round(sum(1 / r for r in top if r <= 10) / n, 4),
        f"{name}_recall10": round(sum(r <= 10 for r in top) / n, 4),
        f"{name}_recall100": round(sum(r <= DEPTH for r in top) / n, 4),
        f"{name}_ms": round(sum(out.seconds) / n * 1000, 2),
    }
    if out.errors:
        figures[f"{name}_errors"] = out.errors
    return figures


def misses(
    kind: str,
    systems: list[str],
    outcomes: dict[tuple[str, str], Outcome],
    queries: list[dict[str, Any]],
    by_arxiv: dict[str, Doc],
) -> dict[str, int]:
    """How many queries no system answers (in the top 10, in the top 100); a few shown."""
    mine = [q for q in queries if q["kind"] == kind]
    ranks = list(zip(*(outcomes[s, kind].ranks for s in systems), strict=True))
    lost10 = [q for q, rs in zip(mine, ranks, strict=True) if all(r is None or r > 10 for r in rs)]
    lost100 = [q for q, rs in zip(mine, ranks, strict=True) if all(r is None for r in rs)]
    for q in (lost100 or lost10)[:5]:
        title = " ".join(by_arxiv[q["target"]].title.split())
        log(f"  every system misses {q['target']} ({title[:70]}): {q['text']!r}")
    return {"found_by_none_top10": len(lost10), "found_by_none_top100": len(lost100)}


def dump(
    path: Path,
    figures: dict[str, Any],
    queries: list[dict[str, Any]],
    systems: list[str],
    lists: dict[str, list[dict[str, Any]]],
) -> None:
    rows = []
    for i, q in enumerate(queries):
        row = {"target": q["target"], "kind": q["kind"], "text": q["text"]}
        row.update({name: lists[name][i] for name in systems})
        rows.append(row)
    header = {k: figures[k] for k in ("corpus", "papers", "embedded", "seed", "note")}
    header["scores"] = (
        "baseline: bm25() (lower is better); keyword, semantic, hybrid: the product's scores "
        "where selectors.Results exposes them, else null (ranks only: the order of ids)"
    )
    path.write_text(json.dumps({**header, "queries": rows}) + "\n")


if __name__ == "__main__":
    main()
