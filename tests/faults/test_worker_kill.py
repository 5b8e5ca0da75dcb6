"""A worker killed with SIGKILL mid-task: the next worker queues the task again and it
completes, once. Real `dailypapers worker` processes on the test's database, a harvest against
the arXiv replay server."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dailypapers.infra import processes
from dailypapers.infra.management.commands.worker import look_after
from dailypapers.infra.models import WorkerHeartbeat
from dailypapers.ingest.models import IngestRun
from dailypapers.ingest.tasks import harvest_oai
from dailypapers.papers.models import Paper
from tests.arxiv_replay import ArxivReplay, Fault
from tests.conftest import finished_pid, wait_for
from tests.faults.conftest import CLI


def test_a_task_whose_worker_was_killed_runs_again_on_the_next_worker_and_completes_once(
    site_env,
):
    with ArxivReplay() as replay:
        env = site_env(
            DAILYPAPERS_ARXIV_OAI_URL=replay.url + "/oai",
            DAILYPAPERS_ARXIV_MIN_INTERVAL="0.01",
            DAILYPAPERS_OAI_BACKFILL_DAYS="100000",  # the replay's records are from 2026
            DAILYPAPERS_WORKER_HEARTBEAT="0.2",
        )
        task = harvest_oai.enqueue()
        replay.faults = {3: Fault("hang")}  # the third page never comes: the worker is killed
        first = subprocess.Popen([*CLI, "worker", "--interval", "0.05"], env=env)
        try:
            wait_for(lambda: len(replay.requests) == 3)
        finally:
            first.kill()
            first.wait()
        killed = DBTaskResult.objects.get(pk=task.id)
        assert killed.status == TaskResultStatus.RUNNING

        replay.faults = {}
        second = subprocess.run(
            [*CLI, "worker", "--batch", "--interval", "0.05"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr

    assert f"task {task.id} was left running by {killed.worker_ids[-1]}" in second.stderr
    done = DBTaskResult.objects.get(pk=task.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert len(done.worker_ids) == 2 and done.worker_ids[0].split(":")[1] == str(first.pid)
    # It resumed after the two pages the killed worker had saved, and got every paper once.
    assert "resumptionToken" in replay.requests[3].params
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(replay.oai_ids())
    runs = list(IngestRun.objects.order_by("id").values_list("status", "message"))
    assert [status for status, _ in runs] == ["failed", "succeeded"]
    assert f"pid {first.pid}" in runs[0][1]


@pytest.mark.django_db
def test_running_tasks_of_gone_workers_are_queued_again_and_no_other():
    """Here a dead pid is gone; elsewhere a worker is gone once its heartbeat is older than
    DAILYPAPERS_WORKER_TIMEOUT. A live worker's task, or one of a holder never heard of (it
    may be a command line run elsewhere), stays where it is."""
    now = timezone.now()
    here = processes.holder_name().split(":")[0]
    holders = {
        "dead here": f"{here}:{finished_pid()}:00000001",
        "alive here": processes.holder_name(),
        "silent elsewhere": "elsewhere.example:4242:00000002",
        "beating elsewhere": "elsewhere.example:4243:00000003",
        "unknown elsewhere": "elsewhere.example:4244:00000004",
    }
    WorkerHeartbeat.objects.create(
        holder=holders["silent elsewhere"], seen_at=now - dt.timedelta(seconds=61)
    )
    WorkerHeartbeat.objects.create(
        holder=holders["beating elsewhere"], seen_at=now - dt.timedelta(seconds=5)
    )
    tasks = {}
    for name, holder in holders.items():
        result = harvest_oai.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING, worker_ids=[holder], started_at=now
        )
        tasks[name] = result.id

    assert look_after(processes.me()) == 2

    status = {str(pk): s for pk, s in DBTaskResult.objects.values_list("id", "status")}
    assert {name: status[pk] for name, pk in tasks.items()} == {
        "dead here": TaskResultStatus.READY,
        "alive here": TaskResultStatus.RUNNING,
        "silent elsewhere": TaskResultStatus.READY,
        "beating elsewhere": TaskResultStatus.RUNNING,
        "unknown elsewhere": TaskResultStatus.RUNNING,
    }
    assert WorkerHeartbeat.objects.filter(holder=processes.me()).exists()
