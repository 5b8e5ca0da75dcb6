"""Search latency over the whole shared arXiv corpus (~237k papers): 200 realistic queries end
to end through the search function (results plus the first page's rows) and through HTTP
(`dailypapers up`, one client, rate limits off), on SQLite or PostgreSQL.

Usage: python bench/search_latency.py [--home DIR] [--postgres] [--queries N] [--real N]

--home keeps the corpus between runs (default: var/bench-search). The first run imports every
dump and indexes it, embeds --real papers (default 5,000) with the real model, and gives every
other paper a stand-in vector drawn like the real ones (bench/vector_index.py's `synthetic`):
the latency of the vector index does not depend on where its vectors came from, and embedding
237k abstracts takes hours on 2 cores. The output says how many vectors are real. --postgres
copies that corpus into an embedded PostgreSQL + pgvector and builds its keyword index.
Queries (seeded, from the corpus): 2-3 word topics, half-remembered titles, 20-40 word
descriptions (a sentence of an abstract, words dropped), authors, arXiv ids, and topics
filtered by category and date.
Last line: {"papers": ..., "real_vectors": ..., "p50_ms": ..., "p99_ms": ..., "http_p50_ms":
    ..., "http_p99_ms": ..., "by_kind": {...}, ...}
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from scifact import DATA  # noqa: E402
from serve import serving  # noqa: E402

CLI = [sys.executable, "-m", "dailypapers.cli"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=REPO / "var" / "bench-search")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=5_000, help="papers embedded for real")
    args = parser.parse_args()
    dumps = sorted(DATA.glob("arxiv-*/*.jsonl.gz"))
    if not dumps:
        print(json.dumps({"skipped": f"no arXiv dumps under {DATA}"}))
        return
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = str(home)
    real = prepare(env, dumps, args.real)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from embedded_pg import postgres_url

            env["DATABASE_URL"] = stack.enter_context(postgres_url())
            copy_to_postgres(env, home / "dailypapers.sqlite3")
        os.environ.update(env, DJANGO_SETTINGS_MODULE="dailypapers.settings")
        from dailypapers.cli import setup

        setup()
        queries = realistic_queries(args.queries)
        figures: dict[str, object] = {"database": "postgresql" if args.postgres else "sqlite"}
        figures["real_vectors"] = real
        figures.update(in_process(queries))
        figures.update(over_http(env, queries))
    print(json.dumps(figures))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(env: dict[str, str], dumps: list[Path], real: int) -> int:
    """Import the dumps, index them, give every paper a vector (``real`` of them from the
    model), unless an earlier run did; how many vectors are real."""
    home = Path(env["DAILYPAPERS_HOME"])
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    marker = home / "bench-ready.json"
    if marker.exists():
        return json.loads(marker.read_text())["real_vectors"]
    db = sqlite3.connect(home / "dailypapers.sqlite3")
    if db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] < 200_000:
        log("importing the arXiv dumps...")
        subprocess.run([*CLI, "import", "arxiv", *map(str, dumps)], env=env, check=True)
    log("building the keyword index...")
    subprocess.run([*CLI, "reindex"], env=env, check=True)
    code = f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import search_latency; "
    code += f"search_latency.embed_sample({real})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    marker.write_text(json.dumps({"real_vectors": real}))
    return real


def embed_sample(real: int) -> None:
    """Embed ``real`` random papers with the model; every other paper gets a stand-in."""
    import numpy as np

    from dailypapers.cli import setup

    setup()
    from vector_index import synthetic

    from dailypapers.papers.models import Paper
    from dailypapers.search import embedding, vectors
    from dailypapers.search.encoder import paper_text

    rng = np.random.default_rng(7)
    ids = np.array(Paper.objects.order_by("id").values_list("id", flat=True))
    chosen = set(rng.choice(ids, size=min(real, len(ids)), replace=False).tolist())
    rows = Paper.objects.filter(id__in=chosen).values_list("id", "title", "abstract")
    log(f"embedding {len(chosen)} papers for real...")
    encoder = embedding.encoder()
    real_ids = [pk for pk, _, _ in rows]
    matrix = encoder.encode([paper_text(t, a) for _, t, a in rows])
    others = [pk for pk in ids.tolist() if pk not in chosen]
    stand_in = synthetic(matrix, len(others), rng)
    embedding.store(encoder.name, real_ids, matrix)
    embedding.store(encoder.name, others, stand_in)
    log(f"publishing {vectors.publish(encoder.name)} vectors...")


def copy_to_postgres(env: dict[str, str], sqlite_path: Path) -> None:
    """The SQLite corpus and its embeddings into the (migrated) PostgreSQL database; the HNSW
    index is built after the rows are in, which is much faster than row by row."""
    import psycopg

    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    src = sqlite3.connect(sqlite_path)
    columns = [row[1] for row in src.execute("PRAGMA table_info(papers_paper)")]
    start = time.perf_counter()
    with psycopg.connect(env["DATABASE_URL"]) as pg, pg.cursor() as cur:
        cur.execute("DROP INDEX search_embedding_hnsw")
        with cur.copy(f"COPY papers_paper ({', '.join(columns)}) FROM STDIN") as copy:
            for row in src.execute(f"SELECT {', '.join(columns)} FROM papers_paper"):
                values = zip(columns, row, strict=True)
                copy.write_row([bool(v) if c == "hidden" else v for c, v in values])
        embeddings = "search_embedding (paper_id, model, vector, embedded_at)"
        with cur.copy(f"COPY {embeddings} FROM STDIN") as copy:
            for pk, model, blob, created in src.execute("SELECT * FROM search_embedding"):
                vector = "[" + ",".join(map(str, memoryview(blob).cast("f").tolist())) + "]"
                copy.write_row([pk, model, vector, created])
        pg.commit()  # the deferred foreign-key checks run here, before the index build
        log(f"copied rows to PostgreSQL in {time.perf_counter() - start:.0f} s; indexing...")
        cur.execute("SET maintenance_work_mem = '2GB'")
        cur.execute(
            "CREATE INDEX search_embedding_hnsw ON search_embedding "
            "USING hnsw (vector vector_cosine_ops)"
        )
        cur.execute("ANALYZE")
    log("building the keyword index (BM25 postings)...")
    subprocess.run([*CLI, "reindex"], env=env, check=True)
    log(f"PostgreSQL ready in {time.perf_counter() - start:.0f} s")


def realistic_queries(n: int) -> list[tuple[str, str]]:
    """``(kind, text)``: what people type, drawn from the corpus itself (seeded)."""
    from dailypapers.papers.models import Paper
    from dailypapers.search.query import STOP_WORDS, words

    rng = random.Random(42)
    ids = list(Paper.objects.values_list("id", flat=True))
    papers = Paper.objects.in_bulk(rng.sample(ids, n))
    queries = []
    for i, p in enumerate(papers.values()):
        content = [w for w in words(p.title) if w not in STOP_WORDS and not w.isdigit()]
        sentences = [s for s in p.abstract.split(". ") if 20 <= len(s.split()) <= 45]
        kind = i % 7
        if kind in (0, 1) and len(content) >= 2:
            start = rng.randrange(len(content) - 1)
            queries.append(("topic", " ".join(content[start : start + rng.choice((2, 3))])))
        elif kind == 2 and len(content) >= 4:  # a word missing
            drop = rng.randrange(len(content))
            queries.append(("title", " ".join(w for j, w in enumerate(content) if j != drop)))
        elif kind == 3 and sentences:  # a half-remembered description, 20-40 words
            kept = [w for w in words(rng.choice(sentences)) if rng.random() > 0.15]
            queries.append(("description", " ".join(kept[:40])))
        elif kind == 4 and p.authors:  # an author, sometimes with a topic word
            surname = words(p.authors[0])[-1:] or ["smith"]
            queries.append(("author", f"author:{surname[0]} " + " ".join(content[:1])))
        elif kind == 5:
            queries.append(("id", p.arxiv_id))
        else:  # a topic within a category and a date range
            cat = p.main_category or "cs.LG"
            queries.append(("filtered", f"{' '.join(content[:2])} cat:{cat} after:2015-01-01"))
    return queries


def percentiles(times: list[float], prefix: str) -> dict[str, float]:
    times = sorted(times)
    return {
        f"{prefix}p50_ms": round(statistics.median(times) * 1000, 1),
        f"{prefix}p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)] * 1000, 1),
        f"{prefix}max_ms": round(times[-1] * 1000, 1),
    }


def in_process(queries: list[tuple[str, str]]) -> dict[str, object]:
    from dailypapers.papers.models import Paper
    from dailypapers.search import selectors

    for _, text in queries[:5]:  # load the model and map the vectors first
        selectors.search(text)
    times, semantic = [], 0
    by_kind: dict[str, list[float]] = {}
    for kind, text in queries:
        start = time.perf_counter()
        results = selectors.search(text)
        results.papers(0, 20)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        semantic += results.semantic
    log(f"in process: {percentiles(times, '')}, semantic in {semantic}/{len(queries)}")
    kinds = {kind: percentiles(t, "") for kind, t in sorted(by_kind.items())}
    for kind, figures in kinds.items():
        log(f"  {kind:12s} {len(by_kind[kind]):3d} queries: {figures}")
    return {
        "papers": Paper.objects.count(),
        "queries": len(queries),
        **percentiles(times, ""),
        "by_kind": kinds,
    }


def over_http(env: dict[str, str], queries: list[tuple[str, str]]) -> dict[str, float]:
    # Rate limits off: the search page's (60 a minute per client, fixed) would refuse this one
    # client; what the limits cost is bench/pages.py's to tell.
    with serving({**env, "DAILYPAPERS_RATELIMIT": "0"}) as (port, server):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _, text in queries[:10]:  # each gunicorn process loads the model on first use
            get(conn, text)
        times = []
        for _, text in queries:
            start = time.perf_counter()
            get(conn, text)
            times.append(time.perf_counter() - start)
        rss = max_rss_mb(server.pid)
    log(f"over HTTP: {percentiles(times, 'http_')}; largest process {rss} MB")
    return {**percentiles(times, "http_"), "web_process_rss_mb": rss}


def max_rss_mb(root: int) -> int:
    """The largest resident set among ``root`` and its descendants (the gunicorn workers)."""
    largest, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = int(status.split("VmRSS:")[1].split()[0])
            largest = max(largest, rss_kb // 1024)
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
    return largest


def get(conn: http.client.HTTPConnection, text: str) -> None:
    conn.request("GET", "/search?" + urlencode({"q": text}))
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"HTTP {response.status} for {text!r}")


if __name__ == "__main__":
    main()
