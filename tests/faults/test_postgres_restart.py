"""PostgreSQL restarted under a running harvest, an idle worker, a digest run and a starting
scheduler: each waits for the database and carries on by itself, with nothing lost and nothing
sent twice. A PostgreSQL server of the test's own (the suite's cannot be restarted under it),
the real `dailypapers` commands in subprocesses."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scripts.embedded_pg import EmbeddedPostgres
from tests.arxiv_replay import ArxivReplay, Fault
from tests.conftest import cli_env, wait_for
from tests.digest.test_send_crash import SUBSCRIBERS, prepare
from tests.faults.conftest import CLI, stop
from tests.smtp import Inbox, SmtpServer

pytestmark = pytest.mark.database("postgresql")
DOWN = 1.0  # seconds the server stays down


class Server:
    """The test's own server, with a fresh database per test."""

    def __init__(self, pg: EmbeddedPostgres) -> None:
        self.pg = pg

    def database(self, name: str) -> str:
        with psycopg.connect(self.pg.url, autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.pg.url.rsplit("/", 1)[0] + f"/{name}"

    def restart(self, while_down: float = DOWN) -> None:
        self.pg.stop()
        time.sleep(while_down)
        self.pg.start()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with EmbeddedPostgres() as pg:
        yield Server(pg)


def site(url: str, home: Path, **extra: str) -> dict[str, str]:
    """A migrated site on ``url``: the environment of its `dailypapers` commands."""
    env = cli_env(
        DATABASE_URL=url,
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SEMANTIC_SEARCH="0",
        DAILYPAPERS_WORKER_HEARTBEAT="0.2",
        **extra,
    )
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True, capture_output=True)
    return env


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()


def enqueue_harvest(env: dict[str, str]) -> None:
    code = "from dailypapers.ingest.tasks import harvest_oai; harvest_oai.enqueue()"
    subprocess.run([*CLI, "shell", "-c", code], env=env, check=True)


def harvest_in_a_worker(
    url: str, tmp_path: Path, replay: ArxivReplay, **settings: str
) -> tuple[dict[str, str], Fault, subprocess.Popen]:
    """A site on ``url`` harvesting from ``replay`` in a worker, whose third page is held
    (to come while the database is down): its environment, the held fault, the worker."""
    env = site(
        url,
        tmp_path,
        DAILYPAPERS_ARXIV_OAI_URL=replay.url + "/oai",
        DAILYPAPERS_ARXIV_MIN_INTERVAL="0.01",
        DAILYPAPERS_OAI_BACKFILL_DAYS="100000",  # the replay's records are from 2026
        **settings,
    )
    held = Fault("hold")
    replay.faults = {3: held}
    enqueue_harvest(env)
    return env, held, subprocess.Popen([*CLI, "worker", "--interval", "0.05"], env=env)


def test_a_harvest_and_an_idle_worker_ride_out_restarts(server, tmp_path):
    url = server.database("harvest")
    with ArxivReplay() as replay:
        env, held, worker = harvest_in_a_worker(url, tmp_path, replay)
        try:
            wait_for(lambda: len(replay.requests) == 3)
            server.pg.stop()
            held.release.set()
            time.sleep(DOWN)
            server.pg.start()
            statuses = (
                "SELECT status FROM django_tasks_database_dbtaskresult "
                "WHERE task_path LIKE '%harvest_oai'"
            )
            wait_for(lambda: query(url, statuses) == [("SUCCESSFUL",)])

            server.restart()  # now while the worker waits for work, polling
            enqueue_harvest(env)
            wait_for(lambda: sorted(query(url, statuses)) == [("SUCCESSFUL",)] * 2)
            assert worker.poll() is None  # it never stopped
        finally:
            stop(worker)

    papers = [pk for (pk,) in query(url, "SELECT arxiv_id FROM papers_paper")]
    assert sorted(papers) == sorted(replay.oai_ids())  # every record, once
    runs = query(url, "SELECT status, created FROM ingest_ingestrun ORDER BY id")
    assert runs == [("succeeded", len(papers)), ("succeeded", 0)]
    # After the restart the page was asked for again, and the harvest went on from there.
    assert replay.requests[3].params == replay.requests[2].params


def test_down_longer_than_a_harvest_waits_the_worker_runs_it_again_once_it_is_back(
    server, tmp_path
):
    """The harvest gives up on the database (DAILYPAPERS_DB_OUTAGE_WAIT) and its result cannot
    be saved either; the worker waits, queues the task again, and the new run closes the old
    one in the ingest log and resumes from its checkpoint."""
    url = server.database("harvest_again")
    with ArxivReplay() as replay:
        _, held, worker = harvest_in_a_worker(
            url, tmp_path, replay, DAILYPAPERS_DB_OUTAGE_WAIT="0.3"
        )
        try:
            wait_for(lambda: len(replay.requests) == 3)
            server.pg.stop()
            held.release.set()
            time.sleep(2 * DOWN)
            server.pg.start()
            tasks = (
                "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
                "WHERE task_path LIKE '%harvest_oai'"
            )
            wait_for(lambda: query(url, tasks)[0][0] == "SUCCESSFUL")
            assert worker.poll() is None
        finally:
            stop(worker)

    [(_, worker_ids)] = query(url, tasks)
    assert len(worker_ids) == 2 and len(set(worker_ids)) == 1  # claimed twice, by that worker
    runs = query(url, "SELECT status, message FROM ingest_ingestrun ORDER BY id")
    assert [status for status, _ in runs] == ["failed", "succeeded"]
    assert "ended the run without finishing it" in runs[0][1]
    papers = [pk for (pk,) in query(url, "SELECT arxiv_id FROM papers_paper")]
    assert sorted(papers) == sorted(replay.oai_ids())


def test_a_digest_run_rides_out_a_restart_and_sends_each_digest_once(server, tmp_path):
    url = server.database("digest")
    with SmtpServer(Inbox(delay=0.01)) as smtp:
        env = cli_env(
            DATABASE_URL=url,
            DAILYPAPERS_HOME=str(tmp_path),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        )
        prepare(env, tmp_path / "day.jsonl")
        send = [*CLI, "digest", "send", "--frequency", "daily", "--period", "2025-09-08"]
        run = subprocess.Popen(
            send, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            wait_for(lambda: len(smtp.inbox.messages) >= SUBSCRIBERS // 3)
            restart = threading.Thread(target=server.restart)
            restart.start()
            out, err = run.communicate(timeout=60)
            restart.join()
        finally:
            stop(run)
        assert run.returncode == 0, err
        assert f"{SUBSCRIBERS} subscribers, sent {SUBSCRIBERS}" in out
        assert "lost the database connection" in err

    received = Counter(m["To"] for m in smtp.inbox.messages)
    assert len(received) == SUBSCRIBERS and set(received.values()) == {1}  # each once
    assert query(url, "SELECT status, count(*) FROM digest_delivery GROUP BY status") == [
        ("sent", SUBSCRIBERS)
    ]


def test_a_scheduler_started_while_the_database_is_down_waits_for_it(server, tmp_path):
    url = server.database("schedule")
    env = site(url, tmp_path)
    server.pg.stop()
    try:
        scheduler = subprocess.Popen(
            [*CLI, "scheduler", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(DOWN)
        assert scheduler.poll() is None  # waiting, not crashed
    finally:
        server.pg.start()
    out, err = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, err
    jobs = {job for (job,) in query(url, "SELECT job FROM dailypapers_scheduledrun")}
    assert jobs and all(f"enqueued {job}" in out + err for job in jobs), (out, err)
