"""Search latency over the whole shared arXiv corpus (~240k papers, all embedded): 200 realistic
queries end to end through the search function (results plus the first page's rows) and
through HTTP (`dailypapers up`, one client), on SQLite or PostgreSQL.

Usage: python bench/search_latency.py [--home DIR] [--postgres] [--queries N]

--home keeps the imported and embedded corpus between runs (default: var/bench-search). The
first run imports every dump and embeds every paper, which takes about an hour on 2 cores;
later runs reuse it. --postgres copies that corpus into an embedded PostgreSQL + pgvector.
Last line: {"papers": ..., "p50_ms": ..., "p99_ms": ..., "http_p50_ms": ..., "http_p99_ms": ...}
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
    args = parser.parse_args()
    dumps = sorted(DATA.glob("arxiv-*/*.jsonl.gz"))
    if not dumps:
        print(json.dumps({"skipped": f"no arXiv dumps under {DATA}"}))
        return
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = str(home)
    prepare(env, dumps)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from embedded_pg import postgres_url

            env["DATABASE_URL"] = stack.enter_context(postgres_url())
            copy_to_postgres(env, home / "dailypapers.sqlite3")
        os.environ.update(env, DJANGO_SETTINGS_MODULE="dailypapers.settings")
        from dailypapers.cli import setup

        setup()
        queries = realistic_queries(args.queries)
        figures = {"database": "postgresql" if args.postgres else "sqlite"}
        figures.update(in_process(queries))
        figures.update(over_http(env, queries))
    print(json.dumps(figures))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(env: dict[str, str], dumps: list[Path]) -> None:
    """Import the dumps and embed everything, unless an earlier run did."""
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    db = sqlite3.connect(Path(env["DAILYPAPERS_HOME"]) / "dailypapers.sqlite3")
    if db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] < 200_000:
        log("importing the arXiv dumps...")
        subprocess.run([*CLI, "import", "arxiv", *map(str, dumps)], env=env, check=True)
    log("embedding what is missing...")
    subprocess.run([*CLI, "embed"], env=env, check=True)


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
        embeddings = "search_embedding (paper_id, model, vector, created_at)"
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
    log(f"PostgreSQL ready in {time.perf_counter() - start:.0f} s")


def realistic_queries(n: int) -> list[str]:
    """What people type, drawn from the corpus itself (seeded): topics of two or three words,
    half-remembered titles, authors, arXiv ids, and topics with filters."""
    from dailypapers.papers.models import Paper
    from dailypapers.search.query import STOP_WORDS, words

    rng = random.Random(42)
    ids = list(Paper.objects.values_list("id", flat=True))
    papers = Paper.objects.in_bulk(rng.sample(ids, n))
    queries = []
    for i, p in enumerate(papers.values()):
        content = [w for w in words(p.title) if w not in STOP_WORDS and not w.isdigit()]
        kind = i % 6
        if kind in (0, 1) and len(content) >= 2:  # a topic
            start = rng.randrange(len(content) - 1)
            queries.append(" ".join(content[start : start + rng.choice((2, 3))]))
        elif kind == 2 and len(content) >= 4:  # a half-remembered title: a word missing
            drop = rng.randrange(len(content))
            queries.append(" ".join(w for j, w in enumerate(content) if j != drop))
        elif kind == 3 and p.authors:  # an author, sometimes with a topic word
            surname = words(p.authors[0])[-1:] or ["smith"]
            queries.append(f"author:{surname[0]} " + " ".join(content[:1]))
        elif kind == 4:
            queries.append(p.arxiv_id)
        else:  # a topic within a category and a date range
            cat = p.main_category or "cs.LG"
            queries.append(f"{' '.join(content[:2])} cat:{cat} after:2015-01-01")
    return queries


def percentiles(times: list[float], prefix: str) -> dict[str, float]:
    times = sorted(times)
    return {
        f"{prefix}p50_ms": round(statistics.median(times) * 1000, 1),
        f"{prefix}p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)] * 1000, 1),
        f"{prefix}max_ms": round(times[-1] * 1000, 1),
    }


def in_process(queries: list[str]) -> dict[str, float]:
    from dailypapers.papers.models import Paper
    from dailypapers.search import selectors

    for text in queries[:5]:  # load the model and map the vectors first
        selectors.search(text)
    times, semantic = [], 0
    for text in queries:
        start = time.perf_counter()
        results = selectors.search(text)
        results.papers(0, 20)
        times.append(time.perf_counter() - start)
        semantic += results.semantic
    log(f"in process: {percentiles(times, '')}, semantic in {semantic}/{len(queries)}")
    return {"papers": Paper.objects.count(), "queries": len(queries), **percentiles(times, "")}


def over_http(env: dict[str, str], queries: list[str]) -> dict[str, float]:
    with serving(env) as (port, server):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for text in queries[:10]:  # each gunicorn process loads the model on first use
            get(conn, text)
        times = []
        for text in queries:
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
