"""`dailypapers worker`: run background tasks from the database queue (django-tasks-db)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run queued background tasks. Start as many as you like: each task runs once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, interval: float, batch: bool, **options) -> None:
        extra = ["--batch"] if batch else []
        call_command("db_worker", "--interval", str(interval), "--no-startup-delay", *extra)
