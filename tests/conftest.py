"""Shared fixtures. Tests run on whichever database DATABASE_URL names (SQLite by default);
scripts/run_tests.py runs them on both."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get(
        "DAILYPAPERS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear message when it is absent."""
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
def fresh_cache(settings):
    """A new in-process cache per test, so that rate-limit counters do not leak between tests
    (the database cache table is not emptied with the test database's tables)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def smtp(settings):
    """A real SMTP server for the test; Django sends through it. Yields its Inbox."""
    from tests.smtp import Inbox, SmtpServer

    with SmtpServer(Inbox()) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server.inbox
