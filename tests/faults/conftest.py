"""Helpers for the fault tests: real `dailypapers` processes on the test run's own database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import cli_env

CLI = [sys.executable, "-m", "dailypapers.cli"]


def stop(process: subprocess.Popen) -> None:
    """Stop a `dailypapers` process as its supervisor would: SIGTERM, then SIGKILL if the task
    in hand does not end soon."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def database_url() -> str:
    """The URL of the database this test runs on, for a subprocess to share it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    host = quote(db["HOST"], safe="")  # a socket folder, for the embedded server
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def site_env(transactional_db, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """The environment for `dailypapers` subprocesses on this test's database (committed
    rows are visible both ways, and emptied after the test), plus ``extra``."""

    def env(**extra: str) -> dict[str, str]:
        return cli_env(
            DATABASE_URL=database_url(),
            DAILYPAPERS_HOME=str(tmp_path / "site"),
            DAILYPAPERS_SEMANTIC_SEARCH="0",  # no model to load in each process
            **extra,
        )

    return env


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``database("postgresql")`` runs in the PostgreSQL pass only, and one
    marked ``database("sqlite")`` in the SQLite pass only: deselected in the other (counted as
    such), not skipped."""
    url = os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    other = [i for i in items if (m := i.get_closest_marker("database")) and m.args[0] != vendor]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]
