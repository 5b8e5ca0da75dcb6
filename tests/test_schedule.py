"""The scheduler enqueues each slot once; the worker runs the queued jobs for real."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from dailypapers.feed.models import FeatureRule
from dailypapers.infra import scheduler
from dailypapers.infra.models import ScheduledRun
from dailypapers.ingest.models import IngestRun
from dailypapers.papers.models import Paper
from dailypapers.search import selectors
from dailypapers.search.models import Embedding
from tests.arxiv_replay import ArxivReplay

pytestmark = pytest.mark.django_db(transaction=True)
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_latest_slot_reads_cron_in_the_jobs_time_zone():
    fetch = ("30 20 * * 0-4", "America/New_York")  # Sunday to Thursday, 20:30 in New York
    # Tuesday 2026-01-06 21:00 New York = 02:00 UTC on Wednesday
    assert scheduler.latest_slot(*fetch, at("2026-01-07T02:00")) == at("2026-01-07T01:30")
    # Saturday: the last slot was Thursday evening
    assert scheduler.latest_slot(*fetch, at("2026-01-10T12:00")) == at("2026-01-09T01:30")
    # summer time: 20:30 EDT is 00:30 UTC
    assert scheduler.latest_slot(*fetch, at("2026-07-01T01:00")) == at("2026-07-01T00:30")


def test_tick_enqueues_each_slot_once_and_catches_up_after_downtime():
    every = [
        "digest-daily",
        "digest-weekly",
        "fetch-new",
        "harvest-oai",
        "sync-today",
        "sync-week",
    ]
    assert sorted(scheduler.tick(at("2026-01-07T02:00"))) == every
    assert scheduler.tick(at("2026-01-07T02:04")) == []  # same slots: nothing new
    assert scheduler.tick(at("2026-01-07T02:05")) == ["sync-today"]  # hourly, New York's :05
    assert sorted(scheduler.tick(at("2026-01-08T08:00"))) == [
        "digest-daily",
        "fetch-new",
        "harvest-oai",
        "sync-today",
        "sync-week",
    ]
    # down over the weekend: one catch-up run on Monday morning, not one per missed slot
    assert sorted(scheduler.tick(at("2026-01-12T12:00"))) == every
    assert ScheduledRun.objects.count() == DBTaskResult.objects.count() == 18


def test_worker_runs_the_scheduled_fetch_and_the_rule_features_the_papers(client):
    FeatureRule.objects.create(name="ML", categories=["cs.LG"], enabled=True)
    with ArxivReplay() as replay:
        settings = {
            "DAILYPAPERS_ARXIV_API_URL": replay.url + "/api/query",
            "DAILYPAPERS_ARXIV_OAI_URL": replay.url + "/oai",
            "DAILYPAPERS_ARXIV_RSS_URL": replay.url + "/rss",
            "DAILYPAPERS_ARXIV_MIN_INTERVAL": 0.01,
            "DAILYPAPERS_ARXIV_BACKOFF": 0.01,
            "DAILYPAPERS_CATEGORIES": ["cs.LG", "cs.AI", "cs.CL", "stat.ML"],
        }
        with override_settings(**settings):
            scheduler.tick(at("2026-09-25T01:00"))
            call_command("worker", "--batch", "--interval", "0.1")

    runs = dict(IngestRun.objects.values_list("kind", "status"))
    assert runs == {"rss": "succeeded", "oai": "succeeded"}
    # the two ingest jobs and the two digests (nobody subscribed: nothing sent) once each;
    # after the ingest that brought papers (the fetch: the harvest's 30 days hold none), their
    # embedding and indexing (the index's first use queues an indexing of its own)
    tasks = DBTaskResult.objects.values_list("task_path", "status")
    names = Counter(path.rsplit(".", 1)[1] for path, _ in tasks)
    scheduled = ["fetch_new", "harvest_oai", "send_daily", "send_weekly", "sync_today", "sync_week"]
    assert [names[n] for n in scheduled] == [1, 1, 1, 1, 1, 1]
    assert set(names) == {*scheduled, "embed_new", "index_papers"}
    assert {status for _, status in tasks} == {"SUCCESSFUL"}
    assert Embedding.objects.count() == Paper.objects.count() > 0
    found = selectors.search("the drift contract spectral updates", semantic=False)
    assert Paper.objects.get(pk=found.ids[0]).arxiv_id == "2609.26811"  # fetched, indexed
    html = client.get("/papers/date/2026-09-24").content.decode()
    assert 'href="/papers/2609.26811"' in html  # a new cs.LG paper, featured by the rule
    assert client.get("/papers/2609.26811").status_code == 200
