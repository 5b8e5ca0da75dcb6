"""Two live sites, B following A, where A and B both follow Hugging Face: A's featured day and
its members' votes reach B, every Hugging Face vote counts once on B, and a Hugging Face client
reading B gets A's papers with their summaries."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import close_session

from dailypapers.feed import selectors as feed
from dailypapers.feed.models import Featured, UpstreamFeature
from dailypapers.ingest import upstreams
from dailypapers.ingest.upstream_client import UpstreamClient
from dailypapers.papers.models import Paper
from tests.conftest import cli_env, free_port, import_files
from tests.test_cli import CLI

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hf-daily"
DAY = dt.date(2025, 9, 2)
HF_DAY = FIXTURES / f"daily_papers_{DAY}.json"
LATER = FIXTURES / "daily_papers_2025-09-03.json"
# On site A: three members upvote the first paper of Hugging Face's day, one the second, and a
# member features a paper of the next day's list on DAY (a paper Hugging Face did not feature
# that day), which one member upvotes.
SEED = """
import datetime as dt, json
from dailypapers.community import services
from dailypapers.feed import services as feed
from dailypapers.papers.models import Paper
from django.contrib.auth.models import User
day = dt.date.fromisoformat({day!r})
first, second = [i["paper"]["id"] for i in json.load(open({hf!r}))[:2]]
extra = json.load(open({later!r}))[0]["paper"]["id"]
voters = [User.objects.create_user(n, f"{{n}}@example.org") for n in ("ada", "grace", "alan")]
for user in voters:
    services.set_vote(user, Paper.objects.get(arxiv_id=first), True)
services.set_vote(voters[0], Paper.objects.get(arxiv_id=second), True)
feed.feature(Paper.objects.get(arxiv_id=extra), day, "member", voters[1])
services.set_vote(voters[2], Paper.objects.get(arxiv_id=extra), True)
"""


@pytest.fixture
def site_a(tmp_path):
    """Site A, served by `dailypapers up` on its own SQLite, with Hugging Face's day imported
    and its members' votes."""
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path / "a"), DAILYPAPERS_UPSTREAMS="")
    env["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    for command in (
        ["migrate", "-v0"],
        ["import", "hf-daily", str(HF_DAY), str(LATER)],
        ["shell", "-c", SEED.format(day=str(DAY), hf=str(HF_DAY), later=str(LATER))],
    ):
        done = subprocess.run([CLI, *command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    port = free_port()
    server = subprocess.Popen(
        [CLI, "up", "--no-worker", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "site A did not start"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_b_follows_a_and_counts_every_vote_once(site_a, live_server, settings):
    settings.DAILYPAPERS_UPSTREAM_INTERVAL = 0
    hf_items = json.loads(HF_DAY.read_text())
    first, second = (i["paper"]["id"] for i in hf_items[:2])
    extra, extra_hf_votes = (
        json.loads(LATER.read_text())[0]["paper"][k] for k in ("id", "upvotes")
    )
    hf_votes = {i["paper"]["id"]: i["paper"]["upvotes"] for i in hf_items}

    # What A serves: Hugging Face's votes plus its members', and the members' part apart.
    served = {i["paper"]["id"]: i["paper"] for i in httpx.get(
        f"{site_a}/api/daily_papers", params={"date": str(DAY)}).json()}  # fmt: skip
    assert set(served) == {*hf_votes, extra}
    assert (served[first]["upvotes"], served[first]["memberUpvotes"]) == (hf_votes[first] + 3, 3)
    assert served[extra]["memberUpvotes"] == 1

    # B follows Hugging Face (its dump, as huggingface.co's answers) and A.
    import_files("hf-daily", HF_DAY)
    queued: list[list[str]] = []
    report = upstreams.sync(
        site_a, DAY, DAY, UpstreamClient(site_a, interval=0), enqueue=queued.append
    )
    assert report.featured == len(hf_votes) + 1 and report.skipped == 0

    # A's featured day is on B: the member's pick too, created with what A knew of it.
    on_b = Featured.objects.filter(day=DAY)
    assert set(on_b.values_list("paper__arxiv_id", flat=True)) == {*hf_votes, extra}
    assert queued == [[extra]]  # B lacked it: arXiv's details are queued for the worker
    from_a = UpstreamFeature.objects.get(upstream__url=site_a, paper__arxiv_id=extra)
    # A shows the paper's Hugging Face votes of its own day, and its member's: only that counts.
    assert (from_a.upvotes, from_a.counted_upvotes) == (extra_hf_votes + 1, 1)
    assert from_a.submitted_by == "grace"

    # Every Hugging Face vote counted once: Hugging Face's count plus A's members' votes.
    votes = dict(feed.with_votes(Paper.objects.all()).values_list("arxiv_id", "votes"))
    assert votes[first] == hf_votes[first] + 3
    assert votes[second] == hf_votes[second] + 1
    assert votes[extra] == 1
    relayed = UpstreamFeature.objects.get(upstream__url=site_a, paper__arxiv_id=first)
    assert (relayed.upvotes, relayed.counted_upvotes) == (hf_votes[first] + 3, 3)

    # A Hugging Face client reading B gets A's papers, with their summaries and counts.
    api = HfApi(endpoint=live_server.url, token=False)
    try:
        papers = {p.id: p for p in api.list_daily_papers(date=str(DAY))}
    finally:
        close_session()  # its kept connection would hold a live-server thread's database one
    assert set(papers) == {*hf_votes, extra}
    assert papers[first].upvotes == hf_votes[first] + 3
    assert papers[first].ai_summary == hf_items[0]["paper"]["ai_summary"]
    assert papers[first].ai_summary.startswith("Synthesized summary of")
    assert papers[extra].submitted_by.username == "grace"  # A's member, as A said

    # A re-sync of the unchanged day writes nothing (A sends no ETag: the counts compare).
    again = upstreams.sync(site_a, DAY, DAY, UpstreamClient(site_a, interval=0))
    assert (again.created, again.updated, again.featured) == (0, 0, 0)
