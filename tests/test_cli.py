"""The `dailypapers` command as a new user runs it: import a dump, `up`, open the pages."""

import datetime as dt
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import cli_env, free_port
from tests.upstream_replay import UpstreamReplay, recorded_days

CLI = shutil.which("dailypapers", path=str(Path(sys.executable).parent)) or "dailypapers"


OFFLINE = "http://127.0.0.1:9"  # nothing listens: an upstream without the network


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def home(tmp_path):
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "var"))
    # The scheduler started by `up` runs its jobs at once: let them fail fast, offline.
    for name in ("API", "OAI", "RSS"):
        env[f"DAILYPAPERS_ARXIV_{name}_URL"] = "http://127.0.0.1:9/"
    env.update(DAILYPAPERS_ARXIV_MAX_ATTEMPTS="1", DAILYPAPERS_ARXIV_BACKOFF="0")
    env.update(DAILYPAPERS_UPSTREAMS=OFFLINE, DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS="1")
    return env


def test_import_then_up_serves_the_imported_day(home, tmp_path):
    day = {
        "date": "2025-09-08",
        "papers": [
            {
                "paper": {"id": "2509.04664", "title": "Why Language Models Hallucinate",
                          "authors": [{"name": "Adam Tauman Kalai"}], "upvotes": 27,
                          "summary": "Abstract.", "publishedAt": "2025-09-04T17:59:40.000Z"},
                "numComments": 1,
            }
        ],
    }  # fmt: skip
    dump = tmp_path / "daily.jsonl"
    dump.write_text(json.dumps(day) + "\n")

    migrate = subprocess.run([CLI, "migrate", "-v0"], env=home, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr
    imported = subprocess.run(
        [CLI, "import", "hf-daily", str(dump)], env=home, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    assert "read 1, created 1, updated 0, unchanged 0, skipped 0, featured 1" in imported.stdout

    server, base = _serve(home)
    try:
        status, html = get(base + "/")
        assert status == 200 and "Why Language Models Hallucinate" in html
        assert get(base + "/papers/2509.04664")[0] == 200
        assert get(base + "/search?q=hallucinate")[0] == 200  # loads onnxruntime, tantivy
        assert get(base + "/static/vendor/katex/katex.min.js")[0] == 200
        status, html = get(base + "/papers/date/2025-02-30")
        assert status == 404 and "is not a valid date" in html  # DEBUG is off by default
        db = sqlite3.connect(Path(home["DAILYPAPERS_HOME"]) / "dailypapers.sqlite3")
        jobs = len(settings.DAILYPAPERS_SCHEDULE)
        deadline = time.monotonic() + 30
        while db.execute("SELECT count(*) FROM dailypapers_scheduledrun").fetchone()[0] < jobs:
            assert time.monotonic() < deadline, "the scheduler beside the server enqueued nothing"
            time.sleep(0.1)
    finally:
        server.terminate()
        stopping = time.monotonic()
        out = server.communicate(timeout=60)[0]
    # Workers forked from a master holding onnxruntime's native thread hung as they exited,
    # until gunicorn killed them after its 30 s graceful timeout.
    assert time.monotonic() - stopping < 20, out[-2000:]
    assert "terminate called" not in out and "SIGABRT" not in out and "SIGKILL" not in out
    assert f"dailypapers on {base}/" in out
    # a new site: up says what runs at once, the first harvest included; the scheduler does it
    assert "Running scheduled jobs missed so far: sync-today (a first sync of " in out
    assert f"{OFFLINE}: their daily lists of the last 30 days, newest first" in out
    assert "harvest-oai (a first OAI-PMH harvest of cs from arXiv, the last 30 days" in out
    for job in settings.DAILYPAPERS_SCHEDULE:
        assert f"enqueued {job}" in out


def test_the_app_loads_no_native_search_library(home):
    # Loaded only by the process that searches: see search/engines/vector_files/reader.py,
    # usearch().
    code = "import sys; from dailypapers.cli import setup; setup(); "
    code += "print(sorted({'onnxruntime', 'usearch'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], env=home, capture_output=True, text=True)
    assert loaded.returncode == 0 and loaded.stdout.strip() == "[]", loaded.stderr


def test_import_reports_bad_usage_clearly(home):
    result = subprocess.run(
        [CLI, "import", "kaggle", "x.json"], env=home, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "invalid choice: 'kaggle'" in result.stderr


def test_the_data_folder_and_what_it_holds_are_its_owners_only(home):
    """The SQLite file holds password hashes and sessions, mail holds reset links: private
    even under the usual umask 022."""
    home.pop("EMAIL_URL", None)  # mail goes to files in the data folder
    for command in (["migrate", "-v0"], ["sendtestemail", "reader@example.org"]):
        subprocess.run([CLI, *command], env=home, check=True, capture_output=True, umask=0o022)
    var = Path(home["DAILYPAPERS_HOME"])
    mail = [var / "mail", *(var / "mail").iterdir()]
    modes = {
        path: stat.S_IMODE(path.stat().st_mode)
        for path in [var, var / "dailypapers.sqlite3", *mail]
    }
    assert modes[var] == 0o700 and len(mail) == 2
    assert not [path for path, mode in modes.items() if mode & 0o077], modes


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`dailypapers up` on a free port, once it answers; with its output piped."""
    port = free_port()
    server = subprocess.Popen(
        [CLI, "up", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            get(base + "/healthz")
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("dailypapers up did not start serving")


def test_a_new_site_shows_hugging_faces_papers_of_the_day_within_a_minute(home):
    """The README's first run: `up` on an empty site that follows Hugging Face (here a replay
    of it, whose today is a recorded day) shows today's papers, with their AI summaries, within
    a minute, before arXiv's harvest (which is offline here and fails after its one try)."""
    today = dt.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date()
    recorded = recorded_days()[dt.date(2025, 9, 3)]
    with UpstreamReplay({today: recorded}) as hf:
        home.update(DAILYPAPERS_UPSTREAMS=hf.url, DAILYPAPERS_UPSTREAM_INTERVAL="0")
        subprocess.run([CLI, "migrate", "-v0"], env=home, check=True)
        server, base = _serve(home)
        try:
            started = time.monotonic()
            title = " ".join(recorded[0]["paper"]["title"].split())
            while title not in (html := get(base + "/")[1]):
                assert time.monotonic() - started < 60, "no paper of the upstream after a minute"
                time.sleep(0.5)
            assert recorded[0]["paper"]["ai_summary"] in html
            assert f"/papers/date/{today}" in html or today.strftime("%-d %B %Y") in html
        finally:
            server.terminate()
            out = server.communicate(timeout=60)[0]
    assert f"a first sync of {hf.url}: their daily lists of the last 30 days" in out
    # 31 days, newest first: today's list was read first
    assert hf.requests[0].params["date"] == today.isoformat()
