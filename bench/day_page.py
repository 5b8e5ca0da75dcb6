"""Day page under load: import the shared data, serve it with `dailypapers up`, and request one
busy day from 32 concurrent clients over keep-alive connections.

Usage: python bench/day_page.py [DATA_DIR] [REQUESTS]   (defaults: ../shared/data, 3000)
Last line: {"requests": ..., "concurrency": 32, "requests_per_s": ..., "p50_ms": ..., "p99_ms": ...}
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from serve import serving

CONCURRENCY = 32
DAY = "/papers/date/2025-09-08"


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = home
    # Rate limits on, as in production (bench/pages.py), at a rate that 32 clients from one
    # address stay under: the default, 300 a minute, would refuse them.
    env["DAILYPAPERS_PAGE_RATE"] = "1000000000/m"
    cli = [sys.executable, "-m", "dailypapers.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True)
    arxiv = sorted(data.glob("arxiv-*/*.jsonl.gz"))
    hf = sorted(data.glob("hf-daily-papers/*.jsonl.gz"))
    for fmt, paths in (("arxiv", arxiv), ("hf-daily", hf)):
        subprocess.run([*cli, "import", fmt, *map(str, paths)], env=env, check=True)

    with serving(env) as (port, _):
        latencies = load(port, total)
    seconds, times = latencies
    times.sort()
    print(
        json.dumps(
            {
                "requests": len(times),
                "concurrency": CONCURRENCY,
                "requests_per_s": round(len(times) / seconds),
                "p50_ms": round(statistics.median(times) * 1000, 1),
                "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 1),
            }
        )
    )


def load(port: int, total: int) -> tuple[float, list[float]]:
    times: list[float] = []
    lock = threading.Lock()
    per_client = total // CONCURRENCY

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_client):
            start = time.perf_counter()
            conn.request("GET", DAY)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}")
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, times


if __name__ == "__main__":
    main()
