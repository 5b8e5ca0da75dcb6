"""Shared fixtures. Tests run on whichever database DATABASE_URL names (SQLite by default);
scripts/run_tests.py runs them on both."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command


def _shared_data() -> Path:
    """``$DAILYPAPERS_SHARED_DATA``, else the first ``shared/data`` beside the checkout or a
    folder above it, else this workplace's ``/work/shared/data`` (for a clone in /tmp)."""
    if os.environ.get("DAILYPAPERS_SHARED_DATA"):
        return Path(os.environ["DAILYPAPERS_SHARED_DATA"])
    repo = Path(__file__).resolve().parents[1]
    for folder in [*repo.parents, Path("/work")]:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return repo.parent / "shared" / "data"


SHARED_DATA = _shared_data()


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a `dailypapers` subprocess: the site's own settings on the embedded
    default (SQLite) in a data folder the caller names with DAILYPAPERS_HOME."""
    drop = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def finished_pid() -> int:
    """The id of a process that has run and exited: a lease holder that died."""
    code = "import os; print(os.getpid())"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True).stdout)


def free_port() -> int:
    """A TCP port nothing listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.05)


def run_command(*args: object) -> tuple[str, str]:
    """Run a management command in-process; its stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_worker() -> None:
    """Run the background tasks queued so far (embedding, indexing), as `dailypapers worker`."""
    call_command("worker", "--batch", "--interval", "0.05")


def import_files(fmt: str, *paths: object) -> tuple[str, str]:
    """`dailypapers import FORMAT PATH...`; its stdout and stderr."""
    return run_command("import", fmt, *paths)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear message when it is absent
    (in CI a skip fails: see tests/ci.py)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found: {path} (tests on real data need ../shared/data)")
    return path


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write records (dicts, or raw strings for malformed lines) as JSON lines, optionally gzip."""

    def write(name: str, records: list[object], gz: bool = False) -> Path:
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        data = ("\n".join(lines) + "\n").encode()
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return write


@pytest.fixture(autouse=True)
def empty_cache(request):
    """Tests use the site's real cache (rate-limit counters live there): a database table that
    each test's rollback empties, but that the flush after a transactional test does not."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """A stopped clock for the code under test (``timezone.now``), at 2025-09-10 12:00 UTC
    unless set; ``clock.advance(hours=...)`` moves it."""
    return _Clock(monkeypatch)


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from django.utils import timezone

        self.now = dt.datetime(2025, 9, 10, 12, tzinfo=dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def set(self, when: dt.datetime) -> None:
        self.now = when

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def limits_clock(monkeypatch):
    """django-ratelimit's clock, stopped. Its windows are fixed ones: a test that counts up to
    a rate per minute would otherwise see the count start again when a window ends half-way."""
    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def fresh_home(settings, tmp_path: Path):
    """Files a test writes under DAILYPAPERS_HOME (the published vector index) stay its own."""
    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()


@pytest.fixture
def smtp(settings):
    """A real SMTP server for the test; Django sends through it. Yields its Inbox."""
    from tests.smtp import Inbox, SmtpServer

    with SmtpServer(Inbox()) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server.inbox


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("DAILYPAPERS_ARTIFACTS", "test-artifacts")) / "screenshots"


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread, which makes Django refuse ORM
    # calls from the test (fixtures, database teardown) unless told the thread is not async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make setup-test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        # Connections opened while Playwright's event loop ran belong to its context: close
        # them now, or PostgreSQL cannot drop the test database at the end of the run.
        from django.db import connections

        connections.close_all()
        b.close()
