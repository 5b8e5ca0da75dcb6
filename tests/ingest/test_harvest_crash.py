"""A harvest killed with SIGKILL mid-way resumes on the next run without duplicates or gaps,
and the killed run is marked failed in the ingest log.

Runs the real `dailypapers` command in a subprocess on its own SQLite file (the embedded
default), against the replay server."""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.arxiv_replay import ArxivReplay, Fault
from tests.conftest import cli_env, wait_for

CLI = [sys.executable, "-m", "dailypapers.cli"]


def test_kill_9_mid_harvest_then_rerun_completes(tmp_path: Path):
    with ArxivReplay() as replay:
        env = cli_env(
            DAILYPAPERS_HOME=str(tmp_path),
            DAILYPAPERS_ARXIV_OAI_URL=replay.url + "/oai",
            DAILYPAPERS_ARXIV_MIN_INTERVAL="0.01",
        )
        subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
        harvest = [*CLI, "harvest", "oai", "--set", "cs", "--from", "2026-01-01"]
        replay.faults = {3: Fault("hang")}  # the third page never comes: the process is killed

        proc = subprocess.Popen(harvest, env=env, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(replay.requests) == 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        db = sqlite3.connect(tmp_path / "dailypapers.sqlite3")
        assert db.execute("SELECT count(*) FROM papers_paper").fetchone() == (6,)
        assert db.execute("SELECT resumption_token FROM ingest_harveststate").fetchone() == (
            "2026-01-01|6",
        )

        replay.faults, replay.requests = {}, []
        rerun = subprocess.run(
            [*CLI, "harvest", "oai", "--set", "cs"], env=env, capture_output=True, text=True
        )
        assert rerun.returncode == 0, rerun.stderr
        assert "resuming after page 2 with the stored resumption token" in rerun.stderr
        assert replay.requests[0].params["resumptionToken"] == "2026-01-01|6"
        assert "Harvested set cs (arXiv): read 6, created 6" in rerun.stdout

        ids = [row[0] for row in db.execute("SELECT arxiv_id FROM papers_paper")]
        assert sorted(ids) == sorted(replay.oai_ids())  # every record, each once
        runs = db.execute("SELECT status, message FROM ingest_ingestrun ORDER BY id").fetchall()
        assert [status for status, _ in runs] == ["failed", "succeeded"]
        assert f"pid {proc.pid}" in runs[0][1] and "died" in runs[0][1], runs[0][1]
