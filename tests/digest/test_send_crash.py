"""A digest run killed with SIGKILL mid-way: the rerun sends what was missed, and nobody gets
two different digests for the period. Real processes, real SQLite file, real SMTP server."""

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict

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


def test_kill_9_mid_send_then_rerun_gives_everyone_exactly_one_digest(tmp_path):
    day = {
        "date": "2025-09-08",
        "papers": [
            {"paper": {"id": f"2509.0000{i}", "title": f"Paper {i}", "upvotes": i}}
            for i in range(1, 6)
        ],
    }
    (tmp_path / "day.jsonl").write_text(json.dumps(day) + "\n")
    with SmtpServer(Inbox(delay=0.01)) as smtp:
        env = cli_env(DAILYPAPERS_HOME=str(tmp_path), EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
        for step in (
            ["migrate", "-v0"],
            ["import", "hf-daily", str(tmp_path / "day.jsonl")],
            ["shell", "-c", SETUP],
        ):
            subprocess.run([*CLI, *step], env=env, check=True, capture_output=True)
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
