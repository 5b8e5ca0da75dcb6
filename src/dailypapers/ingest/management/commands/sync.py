"""`dailypapers sync [--upstream URL] [--from YYYY-MM-DD] [--to YYYY-MM-DD]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.ingest import upstreams
from dailypapers.ingest.management.output import cli_date, print_report
from dailypapers.ingest.upstream_client import UpstreamError


class Command(BaseCommand):
    help = (
        "Read the daily lists of the upstreams this site follows (DAILYPAPERS_UPSTREAMS) and "
        "feature their papers. Without --from: today (New York time), or on an upstream's "
        "first sync the last DAILYPAPERS_UPSTREAM_BACKFILL_DAYS days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--upstream", metavar="URL", help="this upstream only (followed or not)"
        )
        parser.add_argument("--from", dest="from_date", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="to_date", metavar="YYYY-MM-DD", help="default: today")

    def handle(
        self, *args, upstream: str | None, from_date: str | None, to_date: str | None, **options
    ) -> None:
        start = cli_date(from_date, "--from") if from_date else None
        end = cli_date(to_date, "--to") if to_date else None
        if start and end and start > end:
            raise CommandError("--from is after --to.")
        if upstream and not upstream.startswith(("https://", "http://")):
            raise CommandError(f"--upstream: not an http(s) address: {upstream!r}")
        urls = [upstream] if upstream else upstreams.followed()
        if not urls:
            raise CommandError(
                "This site follows no upstream: set DAILYPAPERS_UPSTREAMS or give --upstream."
            )
        failed = []
        for url in urls:
            try:
                report = upstreams.sync(url, start, end)
            except UpstreamError as exc:
                self.stderr.write(f"{url}: {exc}")
                failed.append(url)
                continue
            print_report(self, report, f"Synced {url}")
        if failed:
            raise CommandError(f"Could not sync {', '.join(failed)}; what was read is kept.")
