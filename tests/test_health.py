"""/healthz: 200 while the database answers, 503 when it does not, and how fresh the worker,
the ingest and the search index are."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.infra import health, processes
from dailypapers.ingest.models import IngestRun
from dailypapers.search.models import IndexChange
from tests.conftest import cli_env, run_worker
from tests.factories import paper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_read(monkeypatch):
    """Each test reads the site afresh, not what a probe before it read (health.LAG_EVERY)."""
    monkeypatch.setattr(health, "_read", None)


def probe(**params: str) -> tuple[int, dict]:
    response = Client(HTTP_HOST="localhost").get("/healthz", params)
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


def test_a_site_with_everything_fresh_is_ok():
    paper("2509.04664")
    run_worker()  # indexes and embeds it
    IngestRun.objects.create(status="succeeded", kind="oai", finished_at=timezone.now())
    processes.beat("otherhost:1:cafe")

    status, body = probe(strict="1")
    assert status == 200 and body["status"] == "ok", body
    assert body["worker"]["state"] == body["ingest"]["state"] == body["search"]["state"] == "ok"
    assert body["search"]["keyword_backlog"] == body["search"]["semantic_backlog"] == 0


def test_stale_parts_degrade_it_and_strict_makes_that_a_503(settings):
    settings.DAILYPAPERS_WORKER_TIMEOUT = 60
    processes.beat("otherhost:1:cafe")
    old = timezone.now() - dt.timedelta(days=5)
    IngestRun.objects.create(status="succeeded", kind="oai", finished_at=old)
    IngestRun.objects.create(status="failed", kind="oai", finished_at=timezone.now())
    backlog = paper("2509.04664")  # neither indexed nor embedded: no worker ran
    type(backlog).objects.filter(pk=backlog.pk).update(modified_at=old, created_at=old)
    assert IndexChange.objects.exists()

    status, body = probe()
    assert status == 200 and body["status"] == "degraded"  # the web process still serves
    assert body["worker"]["state"] == "ok"
    assert body["ingest"] == {"state": "stale", "age_s": pytest.approx(5 * 86400, abs=5)}
    assert body["search"]["state"] == "stale"
    assert body["search"]["keyword_backlog"] == body["search"]["semantic_backlog"] == 1
    assert probe(strict="1")[0] == 503


def get_in_a_process(path: str, **env: str) -> tuple[int, str, str]:
    """GET ``path`` from a `dailypapers` process of its own, with the site's settings from
    ``env``; its status, body and log."""
    code = (
        f"from django.test import Client; r = Client(HTTP_HOST='localhost').get({path!r});"
        "print(r.status_code, r.content.decode())"
    )
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "shell", "--no-imports", "-c", code],
        env=cli_env(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    status, _, body = done.stdout.strip().partition(" ")
    return int(status), body, done.stderr


def test_an_unreachable_database_is_a_503_that_names_nothing_of_it(tmp_path: Path):
    """A real web process whose database server is not there (nothing listens on port 1): the
    error, which names the server, goes to the log, not to whoever probes."""
    down = {"DAILYPAPERS_HOME": str(tmp_path), "DATABASE_URL": "postgres://u:p@127.0.0.1:1/x"}
    status, body, log = get_in_a_process("/healthz", **down)
    assert status == 503
    assert json.loads(body) == {"status": "down", "database": {"ok": False, "error": "unavailable"}}
    assert '"127.0.0.1", port 1 failed' in log


def test_a_load_balancer_probes_over_plain_http_on_an_https_site(tmp_path: Path):
    home = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "migrate", "-v0"],
        env=cli_env(DAILYPAPERS_HOME=home),
        check=True,
    )
    assert get_in_a_process("/healthz", DAILYPAPERS_HOME=home, DAILYPAPERS_HTTPS="1")[0] == 200
    assert get_in_a_process("/", DAILYPAPERS_HOME=home, DAILYPAPERS_HTTPS="1")[0] == 301


def test_each_followed_upstream_is_listed_with_its_last_sync(settings):
    from dailypapers.feed.models import Upstream

    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co", "https://papers.example.org"]
    now = timezone.now()
    Upstream.objects.create(
        url="https://huggingface.co",
        name="Hugging Face",
        last_success_at=now - dt.timedelta(minutes=10),
        last_counts={"days": 1, "read": 12, "featured": 12},
    )

    status, body = probe()
    assert status == 200
    hf, peer = body["upstreams"]
    assert hf["url"] == "https://huggingface.co" and hf["name"] == "Hugging Face"
    assert hf["state"] == "ok" and hf["age_s"] == pytest.approx(600, abs=5)
    assert hf["last_error"] is None and hf["last_counts"] == {"days": 1, "read": 12, "featured": 12}
    assert peer["state"] == "never synced" and peer["last_success_at"] is None
    assert body["warnings"] == ["upstream https://papers.example.org: not synced yet"]


def test_a_failing_upstream_is_a_warning_not_an_unhealthy_site(settings):
    from dailypapers.feed.models import Upstream

    settings.DAILYPAPERS_UPSTREAMS = ["https://ada:s3cret@papers.example.org"]
    paper("2509.04664")
    run_worker()
    IngestRun.objects.create(status="succeeded", kind="oai", finished_at=timezone.now())
    processes.beat("otherhost:1:cafe")
    now = timezone.now()
    Upstream.objects.create(
        url="https://ada:s3cret@papers.example.org",
        name="papers.example.org",
        last_success_at=now - dt.timedelta(days=3),
        last_error_at=now,
        last_error=(
            "ada:s3cret@papers.example.org kept failing after 4 attempts "
            "(https://ada:s3cret@papers.example.org/api/daily_papers); last error: HTTP 503"
        ),
    )

    for strict in ({}, {"strict": "1"}):
        status, body = probe(**strict)
        assert status == 200 and body["status"] == "ok", body  # the site still serves
    (upstream,) = body["upstreams"]
    assert upstream["state"] == "failing"
    assert upstream["url"] == "https://papers.example.org"
    assert upstream["last_error"].endswith("last error: HTTP 503")
    assert "(https://papers.example.org/api/daily_papers)" in upstream["last_error"]
    assert body["warnings"] == [
        "upstream https://papers.example.org: its last sync failed; it is tried again hourly"
    ]
    assert "s3cret" not in json.dumps(body)


def test_an_upstreams_address_loses_its_credentials_wherever_it_is_quoted():
    url = "https://tok3n@papers.example.org"
    said = "tok3n@papers.example.org answered HTTP 401 for https://tok3n@papers.example.org/api"
    assert health._public(said, url) == (
        "papers.example.org answered HTTP 401 for https://papers.example.org/api"
    )
    assert health._public("proxy http://u:pw@proxy:3128 refused", "https://h") == (
        "proxy http://proxy:3128 refused"
    )
