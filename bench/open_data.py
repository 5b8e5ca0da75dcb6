"""Latency of the Hugging Face–compatible API over the whole shared corpus (~247k papers: the
arXiv dumps and the 580 Hugging Face days, featured as they were), through HTTP (`dailypapers
up`, one client, keep-alive): `/api/daily_papers` for random days, weeks and months in both
sorts, and `/api/papers/search` with the realistic queries of bench/search_latency.py. In the
same run a static file from the same server is the machine's reference.

Usage: python bench/open_data.py [--home DIR] [--requests N] [--postgres]

--home keeps the corpus between runs (default: var/bench-open-data). The first run copies
var/bench-search (prepared by bench/search_latency.py, which it runs if needed), imports the
Hugging Face days into it, indexes them and embeds their papers. --postgres copies that corpus
(papers, embeddings, featurings) into an embedded PostgreSQL + pgvector and measures there.
Last line: {"papers": ..., "featured_days": ..., "daily_papers_p50_ms": ...,
    "daily_papers_p99_ms": ..., "search_p50_ms": ..., "search_p99_ms": ..., "static_p50_ms": ...,
    "daily_papers_p50_ratio": ..., "search_p50_ratio": ...}
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import search_latency
from scifact import DATA
from search_latency import CLI, log, percentiles, realistic_queries
from serve import serving

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=REPO / "var" / "bench-open-data")
    parser.add_argument("--requests", type=int, default=300, help="per endpoint")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    home = args.home.resolve()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = str(home)
    env["DAILYPAPERS_API_RATE"] = "1000000/m"  # one client, many requests
    prepare(env)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from embedded_pg import postgres_url

            env["DATABASE_URL"] = stack.enter_context(postgres_url())
            search_latency.copy_to_postgres(env, home / "dailypapers.sqlite3")
            _copy_featured(env, home / "dailypapers.sqlite3")
        print(json.dumps(measure(env, args.requests, args.postgres)))


def measure(env: dict[str, str], requests: int, postgres: bool) -> dict[str, object]:
    os.environ.update(env, DJANGO_SETTINGS_MODULE="dailypapers.settings")
    from dailypapers.cli import setup

    setup()
    from dailypapers.feed import selectors as feed
    from dailypapers.papers.models import Paper

    days = feed.featured_days()
    rng = random.Random(11)
    daily = [_period_params(rng, days) for _ in range(requests)]
    # Hugging Face takes queries of at most 250 characters; longer descriptions are cut there.
    searches = [{"q": _cut(text, 250)} for _, text in realistic_queries(requests)]
    figures: dict[str, object] = {"database": "postgresql" if postgres else "sqlite"}
    figures.update(papers=Paper.objects.count(), featured_days=len(days))
    with serving(env) as (port, _):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(10):  # each web process loads the model and maps the index first
            _get(conn, "/api/daily_papers", daily[i])
            _get(conn, "/api/papers/search", searches[i])
        static = _times(conn, "/static/css/site.css", [{}] * requests)
        daily_times = _times(conn, "/api/daily_papers", daily)
        search_times = _times(conn, "/api/papers/search", searches)
    figures.update(percentiles(daily_times, "daily_papers_"))
    figures.update(percentiles(search_times, "search_"))
    figures.update(_search_parts(searches))
    figures.update(percentiles(static, "static_"))
    reference = figures["static_p50_ms"]
    figures["daily_papers_p50_ratio"] = round(figures["daily_papers_p50_ms"] / reference, 1)
    figures["search_p50_ratio"] = round(figures["search_p50_ms"] / reference, 1)
    return figures


def prepare(env: dict[str, str]) -> None:
    """The searchable corpus of bench/search_latency.py plus the Hugging Face days."""
    home = Path(env["DAILYPAPERS_HOME"])
    marker = home / "bench-ready.json"
    if marker.exists():
        subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
        return
    source = REPO / "var" / "bench-search"
    if not (source / "bench-ready.json").exists():
        log("preparing var/bench-search first (bench/search_latency.py)...")
        source_env = {**env, "DAILYPAPERS_HOME": str(source)}
        dumps = sorted(DATA.glob("arxiv-*/*.jsonl.gz"))
        search_latency.prepare(source_env, dumps, 5_000)
    log(f"copying {source} to {home}...")
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(source, home)
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    days = sorted(DATA.glob("hf-daily-papers/*.jsonl.gz"))
    log("importing the Hugging Face days...")
    subprocess.run([*CLI, "import", "hf-daily", *map(str, days)], env=env, check=True)
    log("indexing and embedding their papers...")
    subprocess.run([*CLI, "reindex"], env=env, check=True)
    subprocess.run([*CLI, "embed"], env=env, check=True)
    marker.write_text(json.dumps({"prepared": dt.datetime.now(dt.UTC).isoformat()}))


def _copy_featured(env: dict[str, str], sqlite_path: Path) -> None:
    """The featurings, which bench/search_latency.py's copy leaves out (its corpus has none)."""
    import psycopg

    src = sqlite3.connect(sqlite_path)
    columns = [row[1] for row in src.execute("PRAGMA table_info(feed_featured)")]
    with psycopg.connect(env["DATABASE_URL"]) as pg, pg.cursor() as cur:
        with cur.copy(f"COPY feed_featured ({', '.join(columns)}) FROM STDIN") as copy:
            for row in src.execute(f"SELECT {', '.join(columns)} FROM feed_featured"):
                copy.write_row(row)
        cur.execute("ANALYZE feed_featured")


def _period_params(rng: random.Random, days: list[dt.date]) -> dict[str, str]:
    """A day (half the requests), an ISO week or a month with featured papers, either sort."""
    day = rng.choice(days)
    kind = rng.choice(["date", "date", "week", "month"])
    value = {
        "date": day.isoformat(),
        "week": "{}-W{:02d}".format(*day.isocalendar()[:2]),
        "month": f"{day:%Y-%m}",
    }[kind]
    return {kind: value, "sort": rng.choice(["publishedAt", "trending"])}


def _search_parts(searches: list[dict]) -> dict[str, float]:
    """Where a search request's time goes, in this process: the search itself, the rows of
    its first 50 papers, and their Hugging Face shape (featurings, comment counts)."""
    from dailypapers.api import shapes
    from dailypapers.search import selectors as search

    parts: dict[str, list[float]] = {"search": [], "rows": [], "shape": []}
    for params in searches:
        start = time.perf_counter()
        results = search.search(params["q"])
        found = time.perf_counter()
        rows = results.papers(0, 50)
        fetched = time.perf_counter()
        [shapes.hf_daily(i) for i in shapes.items(rows)]
        parts["search"].append(found - start)
        parts["rows"].append(fetched - found)
        parts["shape"].append(time.perf_counter() - fetched)
    figures: dict[str, float] = {}
    for name, times in parts.items():
        figures.update(percentiles(times, f"in_process_{name}_"))
    return figures


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most].rsplit(" ", 1)[0]


def _times(conn: http.client.HTTPConnection, path: str, params: list[dict]) -> list[float]:
    times = []
    for p in params:
        start = time.perf_counter()
        _get(conn, path, p)
        times.append(time.perf_counter() - start)
    return times


def _get(conn: http.client.HTTPConnection, path: str, params: dict) -> None:
    conn.request("GET", path + ("?" + urlencode(params) if params else ""))
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"HTTP {response.status} for {path} {params}: {body[:200]!r}")


if __name__ == "__main__":
    main()
