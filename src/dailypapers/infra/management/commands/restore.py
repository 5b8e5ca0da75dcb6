"""`dailypapers restore PATH`: a backup back into this site (see dailypapers.infra.backup)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.infra import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `dailypapers backup` into this site (stop its processes "
        "first), then migrate and rebuild the keyword index. Refuses a database that holds "
        "data unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that holds data"
        )
        parser.add_argument(
            "--pg-bin",
            type=Path,
            help="folder of pg_restore and psql (default: as for backup)",
        )

    def handle(self, *args, path: Path, force: bool, pg_bin: Path | None, **options) -> None:
        start = time.monotonic()
        for line in backup.restore(path, force=force, pg_bin=pg_bin):
            self.stdout.write(line)
        self.stdout.write(f"restored {path} in {time.monotonic() - start:.1f} s")
