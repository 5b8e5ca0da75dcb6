"""Following an upstream: a 30-day backfill of Hugging Face's daily papers from a local replay
of the real archive (../shared/data/hf-daily-papers, 580 days as huggingface.co answered them),
then a re-sync of an unchanged day, then the day pages.

Usage: python bench/upstream_sync.py [--days 30] [--end 2026-08-21]

The replay (tests/upstream_replay.py, as huggingface.co answers: pages of 100, weak ETags, its
rate-limit headers) runs in this process; `dailypapers sync` runs as a child process on a new
SQLite site at DAILYPAPERS_UPSTREAM_INTERVAL=0, so `sync_s` is the sync's wall time and
`sync_cpu_s` its own CPU time (not the replay's).
- `featured_all`: every paper of every day of the replay is featured on that day, as the
  upstream's, and nothing else is;
- `resync_*`: the same days synced again, with ETags (every page a 304) and without (the
  replay sends none): rows written to the papers, featurings and upstream counts (a digest of
  those tables before and after), which should be 0;
- `day_pages_match`: every day page (all its pages of cards) lists exactly the replay's
  papers of that day.
Reference, in the same run: `import hf-daily` of the same days from a local file into another
new site (`import_s`); `sync_to_import` = sync_s / import_s.
Last line: {"calendar_days": ..., "days": ..., "papers": ..., "sync_s": ..., "sync_cpu_s": ...,
    "requests": ..., "featured_all": ..., "resync_etag_304s": ..., "resync_etag_requests": ...,
    "resync_etag_rows_written": ..., "resync_plain_rows_written": ..., "day_pages_match": ...,
    "import_s": ..., "sync_to_import": ...}
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.upstream_replay import UpstreamReplay, archive_days  # noqa: E402

ARCHIVE = REPO.parent / "shared" / "data" / "hf-daily-papers"
CLI = [sys.executable, "-m", "dailypapers.cli"]
WRITTEN = [  # what a sync writes: a digest of these says whether it wrote anything
    "SELECT arxiv_id, modified_at FROM papers_paper ORDER BY arxiv_id",
    "SELECT paper_id, day, source, imported_upvotes, imported_comments FROM feed_featured "
    "ORDER BY paper_id, day",
    "SELECT * FROM feed_upstreamfeature ORDER BY id",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 8, 21))
    args = parser.parse_args()
    start = args.end - dt.timedelta(days=args.days - 1)
    days = archive_days(sorted(ARCHIVE.glob("daily-*.jsonl.gz")), start, args.end)
    if not days:
        sys.exit(f"no day of {ARCHIVE} between {start} and {args.end}")
    work = Path(tempfile.mkdtemp(prefix="bench-upstream-"))
    site = _site(work / "sync")
    result: dict[str, object] = {
        "calendar_days": args.days,
        "days": len(days),  # with papers: the archive holds weekdays
        "papers": sum(map(len, days.values())),
    }
    with UpstreamReplay(days) as hf:
        sync = [*CLI, "sync", "--upstream", hf.url, "--from", str(start), "--to", str(args.end)]
        result["sync_s"], result["sync_cpu_s"] = _timed(sync, site)
        result["requests"] = len(hf.requests)
        result["featured_all"] = _featured(site, days, hf.url)
        before = _digest(site)
        _timed(sync, site)
        resync = hf.requests[int(result["requests"]) :]
        result["resync_etag_304s"] = sum(r.status == 304 for r in resync)
        result["resync_etag_requests"] = len(resync)
        result["resync_etag_rows_written"] = _changed(site, before)
        hf.etags = False
        _timed(sync, site)
        result["resync_plain_rows_written"] = _changed(site, before)
    result["day_pages_match"] = _day_pages(site, days)
    dump = work / "days.jsonl.gz"
    with gzip.open(dump, "wt") as out:
        for day, items in sorted(days.items()):
            out.write(json.dumps({"date": day.isoformat(), "papers": items}) + "\n")
    reference = _site(work / "import")
    result["import_s"], _ = _timed([*CLI, "import", "hf-daily", str(dump)], reference)
    result["sync_to_import"] = round(float(result["sync_s"]) / float(result["import_s"]), 2)
    print(json.dumps(result))


def _site(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_UPSTREAM_INTERVAL="0",
        DAILYPAPERS_UPSTREAMS="",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    return env


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(wall, 2), round(cpu, 2)


def _db(env: dict[str, str]) -> sqlite3.Connection:
    return sqlite3.connect(Path(env["DAILYPAPERS_HOME"]) / "dailypapers.sqlite3")


def _featured(env: dict[str, str], days: dict[dt.date, list], url: str) -> bool:
    rows = _db(env).execute(
        "SELECT p.arxiv_id, u.day FROM feed_upstreamfeature u "
        "JOIN papers_paper p ON p.id = u.paper_id JOIN feed_upstream s ON s.id = u.upstream_id "
        "JOIN feed_featured f ON f.paper_id = u.paper_id AND f.day = u.day "
        "WHERE s.url = ? AND f.source = 'upstream'",
        [url],
    )
    got = {(ident, day) for ident, day in rows}
    wanted = {
        (re.sub(r"v\d+$", "", item["paper"]["id"]), day.isoformat())
        for day, items in days.items()
        for item in items
    }
    return got == wanted


def _digest(env: dict[str, str]) -> list[str]:
    db = _db(env)
    return [hashlib.sha1(repr(db.execute(q).fetchall()).encode()).hexdigest() for q in WRITTEN]


def _changed(env: dict[str, str], before: list[str]) -> int:
    """How many of the written tables differ from ``before`` (0: nothing was written)."""
    return sum(a != b for a, b in zip(before, _digest(env), strict=True))


def _day_pages(env: dict[str, str], days: dict[dt.date, list]) -> bool:
    os.environ.update(env)
    from dailypapers.cli import setup

    setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for day, items in days.items():
        wanted = {re.sub(r"v\d+$", "", item["paper"]["id"]) for item in items}
        listed: set[str] = set()
        for page in range(1, 20):
            html = client.get(f"/papers/date/{day}", {"page": page}).content.decode()
            cards = html.split('<article class="card"')[1:]
            found = {m[1] for c in cards if (m := re.search(r'href="/papers/([0-9.]+)"', c))}
            if not found or found <= listed:
                break
            listed |= found
        if listed != wanted:
            print(f"{day}: {len(wanted - listed)} missing, {len(listed - wanted)} extra")
            return False
    return True


if __name__ == "__main__":
    main()
