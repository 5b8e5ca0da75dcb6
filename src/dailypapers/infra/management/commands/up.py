"""`dailypapers up`: migrate the database, then serve the site with gunicorn."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Mapping

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from dailypapers.infra import scheduler
from dailypapers.infra.logs import JsonFormatter, redact
from dailypapers.ingest import upstreams
from dailypapers.ingest.models import HarvestState

log = logging.getLogger("dailypapers.up")


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dailypapers.wsgi import application

        return application


class _GunicornLogger(Logger):
    """gunicorn's error and access logs (its own handlers, on stderr and stdout), in JSON
    too when LOG_FORMAT=json: a request's fields apart, as well as the access line. An access
    line holds no link's secret (a password reset's, say)."""

    def atoms(self, resp, req, environ, request_time) -> dict[str, object]:
        # Every field, headers and environment too: a Referer names the page it came from.
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if settings.LOG_FORMAT != "json":
            return
        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.addFilter(_access_fields)


def _access_fields(record: logging.LogRecord) -> bool:
    """Copy the fields of an access line (gunicorn passes them as the record's mapping of
    format atoms) onto the record, where the JSON formatter finds extra fields."""
    atoms = record.args
    if isinstance(atoms, Mapping):
        record.__dict__.update(
            method=atoms["m"],
            path=atoms["U"],
            query=atoms["q"],
            status=int(str(atoms["s"])),
            bytes=atoms["B"],
            duration_ms=atoms["M"],
            remote_addr=atoms["h"],
            user_agent=atoms["a"],
        )
    return True


class Command(BaseCommand):
    help = (
        "Migrate the database, then serve dailypapers (gunicorn) on HOST:PORT, with one "
        "background worker and the scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SERVE_HOST, help="default: $HOST")
        parser.add_argument("--port", type=int, default=settings.SERVE_PORT, help="default: $PORT")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.SERVE_WORKERS,
            help="web processes (default 2, or $WEB_CONCURRENCY)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve only: no background worker, no scheduler (run them elsewhere)",
        )

    def handle(self, *args, host: str, port: int, workers: int, no_worker: bool, **options) -> None:
        json_logs = settings.LOG_FORMAT == "json"
        # In JSON, what `up` says goes to the log, so that every line it prints is JSON.
        call_command("migrate", interactive=False, verbosity=0 if json_logs else 1)
        db = settings.DATABASES["default"]
        self._say(
            f"  (database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; data: {settings.HOME})",
            lead=f"dailypapers on http://{host}:{port}/",
        )
        if not no_worker:
            self._announce_due_jobs()
        helpers = [] if no_worker else [_start("worker"), _start("scheduler")]
        if settings.DAILYPAPERS_MCP_PORT:
            helpers.append(_start("mcp", "--http", "--host", host))
            self._say(f"MCP for assistants on http://{host}:{settings.DAILYPAPERS_MCP_PORT}/mcp")
        try:
            _Gunicorn(
                {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "threads": 4,
                    "worker_class": "gthread",
                    "accesslog": "-",
                    "logger_class": _GunicornLogger,
                    "timeout": 60,
                    # gunicorn's most (its default, 4094, is short of a 500-character search
                    # in a script such as Chinese, percent-encoded: 414 instead of results)
                    "limit_request_line": 8190,
                }
            ).run()
        finally:
            for proc in helpers:
                proc.terminate()
            for proc in helpers:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()  # a task that does not finish in time is retried later

    def _announce_due_jobs(self) -> None:
        """Say what the scheduler is about to run at once: jobs whose latest slot passed while
        it was not running, which on a new site includes a first harvest from arXiv."""
        jobs = scheduler.due()
        if not jobs:
            return
        notes = {"harvest-oai": self._harvest_note(), "sync-today": self._sync_note()}
        listed = ", ".join(f"{job} ({notes[job]})" if notes.get(job) else job for job in jobs)
        self._say(f"Running scheduled jobs missed so far: {listed}.")

    def _say(self, text: str, lead: str = "") -> None:
        """``lead`` (green on a terminal), then ``text``: on stdout, or in JSON a log line."""
        if settings.LOG_FORMAT == "json":
            log.info(lead + text)
        else:
            self.stdout.write(self.style.SUCCESS(lead) + text if lead else text)

    @staticmethod
    def _harvest_note() -> str:
        key = f"oai:{settings.DAILYPAPERS_OAI_SET}:arXiv"
        if HarvestState.objects.filter(key=key, harvested_until__isnull=False).exists():
            return ""
        return (
            f"a first OAI-PMH harvest of {settings.DAILYPAPERS_OAI_SET} from arXiv, the last "
            f"{settings.DAILYPAPERS_OAI_BACKFILL_DAYS} days; it takes a while at one request "
            "every 3 s"
        )

    @staticmethod
    def _sync_note() -> str:
        first = upstreams.first_syncs()
        if not first:
            return ""
        return (
            f"a first sync of {', '.join(first)}: their daily lists of the last "
            f"{settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS} days, newest first, one request "
            f"every {settings.DAILYPAPERS_UPSTREAM_INTERVAL:g} s"
        )


def _start(*command: str) -> subprocess.Popen:
    """Start `dailypapers <command>` beside the web server, with the same environment."""
    return subprocess.Popen([sys.executable, "-m", "dailypapers.cli", *command])
