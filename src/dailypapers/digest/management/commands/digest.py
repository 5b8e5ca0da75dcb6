"""`dailypapers digest send --frequency daily|weekly [--period P] [--dry-run]`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.digest.send import send_digests
from dailypapers.feed import periods


class Command(BaseCommand):
    help = "Send the digests of a period. Safe to rerun: the ledger sends each digest once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        send = sub.add_parser("send", help="send a period's digests")
        send.add_argument("--frequency", choices=["daily", "weekly"], required=True)
        send.add_argument(
            "--period", help="YYYY-MM-DD (daily) or YYYY-Www (weekly); default: the last one"
        )
        send.add_argument("--dry-run", action="store_true", help="compose and count, send none")
        send.add_argument(
            "--workers",
            type=int,
            default=settings.DAILYPAPERS_DIGEST_WORKERS,
            help="sending processes (default $DAILYPAPERS_DIGEST_WORKERS or 1)",
        )

    def handle(
        self, *args, frequency: str, period: str | None, dry_run: bool, workers: int, **options
    ):
        chosen = None
        if period:
            try:
                chosen = periods.parse("date" if frequency == "daily" else "week", period)
            except periods.BadPeriod as exc:
                raise CommandError(str(exc)) from None
        report = send_digests(frequency, chosen, dry_run=dry_run, workers=workers)
        for address, error in report.errors[:50]:
            self.stderr.write(f"{address}: {error}")
        prefix = "[dry run] " if dry_run else ""
        self.stdout.write(f"{prefix}Digest {report.summary()}")
        if (
            settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
            and report.sent
            and not dry_run
        ):
            self.stdout.write(f"Mail was written to {settings.EMAIL_FILE_PATH} (set EMAIL_URL)")
