"""`dailypapers fetch ids ID...` and `dailypapers fetch new [--categories ...]`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.ingest import arxiv
from dailypapers.ingest.arxiv_client import ArxivError
from dailypapers.ingest.management.output import print_report


class Command(BaseCommand):
    help = "Fetch papers from arXiv: by id through the API, or today's announcements (RSS)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
        ids = sub.add_parser("ids", help="papers by arXiv id or URL, through the API")
        ids.add_argument("ids", nargs="+", metavar="ID")
        new = sub.add_parser("new", help="today's announcements, then details through the API")
        new.add_argument(
            "--categories",
            nargs="+",
            default=settings.DAILYPAPERS_CATEGORIES,
            metavar="CAT",
            help=f"default: {' '.join(settings.DAILYPAPERS_CATEGORIES)}",
        )

    def handle(self, *args, what: str, **options) -> None:
        try:
            if what == "ids":
                report = arxiv.fetch_ids(options["ids"])
                print_report(self, report, f"Fetched {len(options['ids'])} id(s)")
            else:
                report = arxiv.fetch_new(options["categories"])
                print_report(self, report, f"Announcements of {' '.join(options['categories'])}")
        except ArxivError as exc:
            raise CommandError(str(exc)) from None
