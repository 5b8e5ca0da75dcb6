"""`dailypapers import arxiv|hf-daily PATH...`: import dump files with a progress bar."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dailypapers.ingest import dumps
from dailypapers.ingest.management.output import print_report
from dailypapers.ingest.models import IngestRun
from dailypapers.ingest.report import save_run, start_run

FORMATS = {
    "arxiv": (
        "arXiv metadata as JSON lines: the Kaggle arxiv-metadata-oai-snapshot.json and "
        "compatible layouts (plain or .gz)"
    ),
    "hf-daily": (
        "Hugging Face /api/daily_papers responses (a JSON list) or archives with one day "
        "per line (plain or .gz); features each paper on its day"
    ),
}


class Command(BaseCommand):
    help = "Import papers from dump files. Re-importing is safe: unchanged papers stay as they are."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        for name, help_text in FORMATS.items():
            p = sub.add_parser(name, help=help_text)
            p.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    def handle(self, *args, format: str, paths: list[Path], **options) -> None:
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        total = sum(p.stat().st_size for p in paths)
        run = start_run(f"import {format}", {"paths": [str(p) for p in paths]})
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=f"import {format}", disable=None
        ) as bar:
            report = dumps.import_dumps(format, paths, progress=bar.update)
        save_run(run, report, IngestRun.Status.SUCCEEDED, report.summary())

        print_report(self, report, f"Imported {len(paths)} file(s)")
