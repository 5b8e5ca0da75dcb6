"""Digest runs as real processes on a real SQLite file with a real SMTP server: killed with
SIGKILL mid-way, then rerun; split among worker processes, twice at once. Nobody misses a
digest and nobody gets two different ones for the period."""

import json
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.conftest import cli_env
from tests.smtp import Inbox, SmtpServer

CLI = [sys.executable, "-m", "dailypapers.cli"]
SUBSCRIBERS = 150
SETUP = f"""
import datetime as dt
from dailypapers.digest.models import Subscriber
Subscriber.objects.bulk_create(
    Subscriber(email=f"r{{i}}@example.org", confirmed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    for i in range({SUBSCRIBERS})
)
"""
DAY = {
    "date": "2025-09-08",
    "papers": [
        {"paper": {"id": f"2509.0000{i}", "title": f"Paper {i}", "upvotes": i}} for i in range(1, 6)
    ],
}


def prepare(env: dict[str, str], dump: Path) -> None:
    """A migrated site with DAY's papers featured and SUBSCRIBERS daily subscribers."""
    dump.write_text(json.dumps(DAY) + "\n")
    for step in (["migrate", "-v0"], ["import", "hf-daily", str(dump)], ["shell", "-c", SETUP]):
        subprocess.run([*CLI, *step], env=env, check=True, capture_output=True)


def test_kill_9_mid_send_then_rerun_gives_everyone_exactly_one_digest(tmp_path):
    with SmtpServer(Inbox(delay=0.01)) as smtp:
        env = cli_env(DAILYPAPERS_HOME=str(tmp_path), EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
        prepare(env, tmp_path / "day.jsonl")
        send = [*CLI, "digest", "send", "--frequency", "daily", "--period", "2025-09-08"]

        proc = subprocess.Popen(send, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(smtp.inbox.messages) < SUBSCRIBERS // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_after = len(smtp.inbox.messages)
        assert 0 < killed_after < SUBSCRIBERS

        rerun = subprocess.run(send, env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{SUBSCRIBERS} subscribers" in rerun.stdout

    ids = defaultdict(set)
    for message in smtp.inbox.messages:
        ids[message["To"]].add(message["Message-ID"])
    assert len(ids) == SUBSCRIBERS  # nobody skipped
    assert all(len(v) == 1 for v in ids.values())  # nobody got two different digests
    # at most the one message in flight at the kill went out twice, under the same Message-ID
    assert len(smtp.inbox.messages) - SUBSCRIBERS <= 1


def test_two_runs_of_three_processes_each_send_everyone_one_digest(tmp_path):
    """--workers splits the subscribers among processes; two such runs at once (a rerun, a
    second scheduler) still send each digest once."""
    with SmtpServer(Inbox(delay=0.002)) as smtp:
        env = cli_env(DAILYPAPERS_HOME=str(tmp_path), EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
        prepare(env, tmp_path / "day.jsonl")
        send = [*CLI, "digest", "send", "--frequency", "daily", "--period", "2025-09-08"]
        runs = [
            subprocess.Popen([*send, "--workers", "3"], env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0]

    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(
        f"r{i}@example.org" for i in range(SUBSCRIBERS)
    )
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out in outputs]
    assert sum(sent) == SUBSCRIBERS, outputs
