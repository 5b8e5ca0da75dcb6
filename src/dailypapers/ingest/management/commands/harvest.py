"""`dailypapers harvest oai [--set cs] [--from YYYY-MM-DD] [--metadata arXiv|arXivRaw]`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.ingest import arxiv
from dailypapers.ingest.arxiv_client import ArxivError
from dailypapers.ingest.management.output import cli_date, print_report


class Command(BaseCommand):
    help = (
        "Harvest arXiv metadata over OAI-PMH. Resumes after a crash; without --from, starts "
        "where the last complete harvest ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL")
        oai = sub.add_parser("oai", help="OAI-PMH ListRecords")
        oai.add_argument("--set", default=settings.DAILYPAPERS_OAI_SET, help="e.g. cs, math")
        oai.add_argument("--from", dest="from_date", type=str, help="YYYY-MM-DD")
        oai.add_argument("--metadata", choices=["arXiv", "arXivRaw"], default="arXiv")

    def handle(self, *args, set: str, from_date: str | None, metadata: str, **options) -> None:
        start = cli_date(from_date, "--from") if from_date else None
        try:
            report = arxiv.harvest_oai(
                set, start, metadata, progress=lambda msg: self.stderr.write(msg)
            )
        except ArxivError as exc:
            raise CommandError(f"harvest stopped: {exc}. Run it again to resume.") from None
        print_report(self, report, f"Harvested set {set} ({metadata})")
