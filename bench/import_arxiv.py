"""Import every shared arXiv dump into a fresh SQLite database; print papers/s and peak memory.

Usage: python bench/import_arxiv.py [DATA_DIR]   (default: ../shared/data; WORKERS=n parsing
processes, default 2)
Last line: {"papers": ..., "papers_per_s": ..., "peak_rss_mb": ..., ...}
"""

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    paths = sorted(data.glob("arxiv-cs-meta-1990-2019/*.jsonl.gz")) + sorted(
        data.glob("arxiv-daily-listings-2025-2026/*.jsonl.gz")
    )
    if not paths:
        sys.exit(f"no arXiv dumps under {data}")
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ.update(DAILYPAPERS_HOME=home, DJANGO_SETTINGS_MODULE="dailypapers.settings")
    os.environ.pop("DATABASE_URL", None)
    from dailypapers.cli import setup

    setup()
    from django.core.management import call_command

    from dailypapers.ingest import dumps
    from dailypapers.papers.models import Paper

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    report = dumps.import_dumps("arxiv", paths, workers=int(os.environ.get("WORKERS", "2")))
    seconds = time.perf_counter() - start
    papers = Paper.objects.count()
    print(f"{report.summary()} in {seconds:.1f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "files": len(paths),
                "papers": papers,
                "skipped": report.skipped,
                "seconds": round(seconds, 2),
                "papers_per_s": round(report.read / seconds),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
