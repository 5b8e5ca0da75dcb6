"""`dailypapers scheduler`: enqueue scheduled jobs (settings.DAILYPAPERS_SCHEDULE) on time."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.infra import database, scheduler


class Command(BaseCommand):
    help = "Enqueue the scheduled jobs (fetch new papers, OAI harvest) when they fall due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args, once: bool, **options) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while True:
            # Each job it enqueues is a log line (text, or JSON with LOG_FORMAT=json).
            database.ride_out(scheduler.tick, forever=True)
            if once or stop.wait(min(60.0, scheduler.seconds_to_next())):
                return
