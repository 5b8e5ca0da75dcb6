"""LOG_FORMAT=json: every line the site logs is one JSON object, from `dailypapers up` (gunicorn's
error and access logs, Django, the worker and the scheduler beside it) and from any command."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from django.test import RequestFactory

from dailypapers.infra.logs import JsonFormatter
from tests.conftest import cli_env
from tests.test_cli import free_port, get

CLI = [sys.executable, "-m", "dailypapers.cli"]


def parsed(stream: str) -> list[dict]:
    """Every line of ``stream`` as JSON (a line that is not fails the test)."""
    return [json.loads(line) for line in stream.splitlines()]


@contextlib.contextmanager
def up(env: dict[str, str], *options: str) -> Iterator[tuple[str, list[str]]]:
    """`dailypapers up` serving until the block ends: its address, and a list that then holds
    what it wrote to stdout and to stderr."""
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "up", "--port", str(port), "--workers", "1", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    site, written = f"http://127.0.0.1:{port}", []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert get(f"{site}/about/ranking")[0] == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "dailypapers up did not start serving"
                time.sleep(0.2)
        yield site, written
    finally:
        server.terminate()
        written.extend(server.communicate(timeout=60))


def test_up_logs_one_json_object_a_line(tmp_path):
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "var"), LOG_FORMAT="json")
    # The scheduler beside the server runs its arXiv jobs at once: they fail, offline, and
    # the worker logs the failure with its traceback.
    for name in ("API", "OAI", "RSS"):
        env[f"DAILYPAPERS_ARXIV_{name}_URL"] = "http://127.0.0.1:9/"
    env.update(DAILYPAPERS_ARXIV_MAX_ATTEMPTS="1", DAILYPAPERS_ARXIV_BACKOFF="0")
    with up(env) as (site, written):
        assert get(f"{site}/papers/date/2025-02-30?x=1")[0] == 404
        db = sqlite3.connect(tmp_path / "var" / "dailypapers.sqlite3")
        failed = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
        deadline = time.monotonic() + 60
        while not db.execute(failed).fetchone()[0]:
            assert time.monotonic() < deadline, "the worker ran no scheduled job"
            time.sleep(0.2)
    out, err = written
    lines = parsed(out) + parsed(err)
    assert {"time", "level", "logger", "message", "pid"} <= set(lines[0])
    loggers = {line["logger"] for line in lines}
    assert {"dailypapers.up", "dailypapers.scheduler", "gunicorn.error", "django_tasks"} <= loggers

    assert any(line["message"].startswith("dailypapers on http://") for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"method": "GET", "path": "/about/ranking", "status": 200} in [
        {k: line[k] for k in ("method", "path", "status")} for line in access
    ]
    assert any(line["query"] == "x=1" and line["status"] == 404 for line in access)
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["status_code"] == 404 and not_found["path"] == "/papers/date/2025-02-30"
    failed = [line for line in lines if "state=FAILED" in line["message"]]
    assert failed and all(line["exc"].startswith("Traceback") for line in failed)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_logs_keep_no_secret_of_a_link(tmp_path, log_format):
    """Password-reset, verification and digest links act on their own: a log that held them
    would let whoever reads it reset a password or change a subscription."""
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "var"), LOG_FORMAT=log_format)
    secret = "Zm9v:1uVq3x:s3cret"
    links = [
        f"/accounts/verify/{secret}",  # a bad one: Django's request log names it too (a 400)
        f"/accounts/password/reset/MQ/{secret}",
        f"/digest/confirm/{secret}",
        f"/digest/unsubscribe/{secret}",
    ]
    with up(env, "--no-worker") as (site, written):
        for link in links:  # each also the Referer of the next request, as a page's assets
            request = urllib.request.Request(site + link, headers={"Referer": site + link})
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=5).close()
    out, err = written
    assert "/accounts/verify/[redacted]" in out and "/accounts/verify/[redacted]" in err
    assert "/accounts/password/reset/MQ/[redacted]" in out
    assert secret not in out + err


def test_a_command_logs_an_uncaught_exception_as_json(tmp_path):
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path), LOG_FORMAT="json")
    code = "import logging; logging.getLogger('dailypapers.test').warning('two\\nlines'); 1 / 0"
    crashed = subprocess.run([*CLI, "shell", "-c", code], env=env, capture_output=True, text=True)
    assert crashed.returncode == 1
    warning, uncaught = parsed(crashed.stderr)
    assert warning["message"] == "two\nlines" and warning["level"] == "WARNING"
    assert uncaught["level"] == "CRITICAL" and uncaught["logger"] == "dailypapers"
    assert uncaught["exc"].endswith("ZeroDivisionError: division by zero")


def test_log_format_is_text_or_json(tmp_path):
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path), LOG_FORMAT="xml")
    result = subprocess.run([*CLI, "check"], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "LOG_FORMAT must be text or json, not 'xml'" in result.stderr


@pytest.mark.parametrize("extra", [{"big": 2**70}, {"nested": {1: {"a"}}}])
def test_a_record_with_any_extra_fields_is_one_json_line(extra):
    request = RequestFactory().get("/papers/2509.04664?x=1")
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request", logging.ERROR, __file__, 1, "failed: %s", ("a\nb",),
            sys.exc_info(), extra={"request": request, "status_code": 500, **extra},
        )  # fmt: skip
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "failed: a\nb" and line["level"] == "ERROR"
    assert line["method"] == "GET" and line["path"] == "/papers/2509.04664"
    assert str(line["status_code"]) == "500" and "ValueError: bad" in line["exc"]
