"""How ingest commands read dates, and how they end: the skipped records with their reasons,
then one summary line."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dailypapers.ingest.report import Report

SHOWN_ERRORS = 50


def print_report(command: BaseCommand, report: Report, headline: str) -> None:
    for location, reason in report.errors[:SHOWN_ERRORS]:
        command.stderr.write(f"{location}: {reason}")
    if report.skipped > SHOWN_ERRORS:
        command.stderr.write(f"... and {report.skipped - SHOWN_ERRORS} more skipped records")
    if report.skipped > 1:
        command.stderr.write("skipped, by reason:")
        for reason, count in report.reasons()[:10]:
            command.stderr.write(f"  {count:>7}  {reason}")
    style = command.style.WARNING if report.errors else command.style.SUCCESS
    command.stdout.write(style(f"{headline}: {report.summary()}"))


def cli_date(text: str, flag: str) -> dt.date:
    """A YYYY-MM-DD option's date, or a CommandError naming the option."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag}: not a date (YYYY-MM-DD): {text!r}") from None
