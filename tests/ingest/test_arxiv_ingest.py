"""Fetching and harvesting from arXiv, against a local server replaying recorded responses and
injecting arXiv's failures. A fake clock makes waiting instant and measurable."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import socket
import threading

import httpx
import pytest
from django.core.management import CommandError
from django.db import connection
from django.test import Client, override_settings

from dailypapers.feed import selectors as feed
from dailypapers.feed.models import Featured, FeatureRule
from dailypapers.ingest import arxiv
from dailypapers.ingest.arxiv_client import ArxivClient, ArxivError
from dailypapers.ingest.models import HarvestState, IngestRun, RateLock
from dailypapers.ingest.polite import RateLimiter
from dailypapers.papers.models import Paper
from dailypapers.search import selectors as search
from tests.arxiv_replay import ArxivReplay, Fault
from tests.conftest import finished_pid, run_command, run_worker
from tests.factories import feature
from tests.ingest.conftest import FakeClock

pytestmark = pytest.mark.django_db(transaction=True)

RECORDED_IDS = ["2410.19022", "2101.02199", "2502.06628", "2510.14968", "1903.02058"]


@pytest.fixture
def replay():
    with ArxivReplay() as server:
        urls = {
            "DAILYPAPERS_ARXIV_API_URL": server.url + "/api/query",
            "DAILYPAPERS_ARXIV_OAI_URL": server.url + "/oai",
            "DAILYPAPERS_ARXIV_RSS_URL": server.url + "/rss",
        }
        with override_settings(**urls):
            yield server


@pytest.fixture
def clock():
    return FakeClock(dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC))


@pytest.fixture
def client(clock):
    """The real client on a fake clock; it notes the (fake) time of every request it sends."""
    sent: list[dt.datetime] = []
    http = httpx.Client(timeout=5, event_hooks={"request": [lambda r: sent.append(clock.now())]})
    c = ArxivClient(http=http, clock=clock, interval=3.0, max_attempts=4)
    c.sent = sent
    return c


def gaps(times: list[dt.datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


# --- API --------------------------------------------------------------------------------------


def test_fetch_ids_lands_recorded_papers_with_requests_3s_apart(replay, client, monkeypatch):
    monkeypatch.setattr(arxiv, "API_BATCH", 2)  # three calls for five ids

    report = arxiv.fetch_ids([f"arXiv:{RECORDED_IDS[0]}v1", *RECORDED_IDS[1:]], client)

    assert (report.created, report.skipped) == (5, 0)
    assert len(client.sent) == 3 and min(gaps(client.sent)) >= 3.0
    assert [r.params["id_list"] for r in replay.requests] == [
        "2410.19022,2101.02199",
        "2502.06628,2510.14968",
        "1903.02058",
    ]
    legacy = Paper.objects.get(arxiv_id="2510.14968")
    assert legacy.title.startswith("RDD: Retrieval-Based Demonstration Decomposer")
    assert legacy.primary_category == "cs.RO" and legacy.version == 1
    assert Paper.objects.get(arxiv_id="2101.02199").version == 5
    run = IngestRun.objects.get(kind="api")
    assert (run.status, run.created, run.requests) == ("succeeded", 5, 3)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", 503, {"Retry-After": "7"}),
        Fault("status", 429),
        Fault("status", 502),
        Fault("reset"),
        Fault("truncate"),
    ],
    ids=["503-retry-after", "429", "502", "connection-reset", "truncated-xml"],
)
def test_fetch_ids_survives_each_fault(replay, client, clock, fault):
    replay.faults = {1: fault}

    report = arxiv.fetch_ids(RECORDED_IDS, client)

    assert (report.created, report.skipped) == (5, 0)
    assert Paper.objects.count() == 5
    assert len(replay.requests) == 2  # the failed attempt, then the good one
    wait = gaps(client.sent)[0]
    assert wait >= (7.0 if fault.headers else 3.0)


def test_a_retry_after_that_is_no_number_means_the_usual_backoff(replay, client):
    replay.faults = {1: Fault("status", 503, {"Retry-After": "\u00b2"})}  # a digit to isdigit()

    assert arxiv.fetch_ids(RECORDED_IDS, client).created == 5
    assert gaps(client.sent)[0] >= 3.0


def test_bad_ids_are_errors_for_those_ids_only(replay, client):
    replay.api_bad_ids = {"1706.09868"}
    report = arxiv.fetch_ids(["2410.19022", "not-an-id", "1706.09868", "2412.99999"], client)

    assert report.created == 1
    errors = dict(report.errors)
    assert "not an arXiv id" in errors["not-an-id"]
    assert "incorrect id format" in " ".join(r for loc, r in report.errors if "1706" in loc)
    assert errors["2412.99999"] == "not found on arXiv"


def test_persistent_outage_ends_with_a_clear_error_and_a_failed_run(replay, client):
    replay.faults = {n: Fault("status", 503) for n in range(1, 10)}
    with pytest.raises(ArxivError, match=r"kept failing after 4 attempts .* HTTP 503"):
        arxiv.fetch_ids(RECORDED_IDS, client)
    run = IngestRun.objects.get(kind="api")
    assert run.status == "failed" and "HTTP 503" in run.message
    # backoff grows between attempts
    assert gaps(client.sent) == sorted(gaps(client.sent))


# --- OAI-PMH ----------------------------------------------------------------------------------


def test_harvest_lands_every_record_and_the_next_run_is_incremental(replay, client):
    report = arxiv.harvest_oai("cs", dt.date(2026, 1, 1), client=client)

    assert report.created == len(replay.oai_ids()) == 12
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == set(replay.oai_ids())
    assert len(replay.requests) == 4 and min(gaps(client.sent)) >= 3.0
    real = Paper.objects.get(arxiv_id="2504.11237")
    assert real.title == "Periodic table for highly charged ions"
    assert real.authors[:2] == ["Chunhai Lyu", "Christoph H. Keitel"]
    state = HarvestState.objects.get(key="oai:cs:arXiv")
    assert state.harvested_until == dt.date(2026, 1, 9) and state.resumption_token == ""

    replay.requests.clear()
    again = arxiv.harvest_oai("cs", client=client)
    assert replay.requests[0].params["from"] == "2026-01-09"
    assert again.created == 0 and again.unchanged == 1  # only the last day again


def test_harvest_survives_every_fault_without_losing_or_duplicating(replay, client, clock):
    replay.faults = {
        2: Fault("status", 503, {"Retry-After": "11"}),
        4: Fault("empty"),  # an empty page in the middle of the list
        5: Fault("reset"),
        6: Fault("truncate"),
        8: Fault("expired"),  # the resumption token expired
        9: Fault("status", 429),
    }
    messages: list[str] = []

    report = arxiv.harvest_oai("cs", dt.date(2026, 1, 1), client=client, progress=messages.append)

    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == set(replay.oai_ids())
    assert Paper.objects.count() == 12 and report.skipped == 0
    assert any("resumption token expired; restarting from 2026-01-0" in m for m in messages)
    assert min(gaps(client.sent)) >= 3.0
    assert gaps(client.sent)[1] >= 11.0  # Retry-After honoured
    run = IngestRun.objects.get(kind="oai")
    assert run.status == "succeeded" and run.created == 12


def test_harvest_that_cannot_finish_says_so_and_resumes_later(replay, client):
    replay.faults = {n: Fault("status", 503) for n in range(3, 20)}
    with pytest.raises(ArxivError, match="HTTP 503"):
        arxiv.harvest_oai("cs", dt.date(2026, 1, 1), client=client)
    state = HarvestState.objects.get()
    assert state.resumption_token == "2026-01-01|6" and Paper.objects.count() == 6

    replay.faults = {}
    replay.requests.clear()
    arxiv.harvest_oai("cs", client=client)
    assert replay.requests[0].params == {"verb": "ListRecords", "resumptionToken": "2026-01-01|6"}
    assert Paper.objects.count() == 12


def test_an_hour_of_503_backs_off_gives_up_keeping_its_place_and_a_later_run_resumes(
    replay, client, clock
):
    """arXiv down for an hour of the fake clock, answering 503 with a Retry-After: each run
    waits as asked (never longer than DAILYPAPERS_ARXIV_MAX_WAIT), gives up after its
    attempts with the checkpoint kept, and the first run after the hour finishes the list."""
    back = clock.now() + dt.timedelta(hours=1)
    down = Fault("status", 503, {"Retry-After": "120"})
    replay.outage = lambda: down if len(replay.requests) > 2 and clock.now() < back else None
    runs = 0
    while True:
        runs += 1
        try:
            arxiv.harvest_oai("cs", dt.date(2026, 1, 1) if runs == 1 else None, client=client)
            break
        except ArxivError as exc:
            assert "kept failing after 4 attempts" in str(exc) and "HTTP 503" in str(exc)
        assert HarvestState.objects.get().resumption_token == "2026-01-01|6"
        assert Paper.objects.count() == 6
        clock.t += dt.timedelta(minutes=15)  # the scheduler's next try

    assert runs == 4  # after three that gave up
    during = [t for t in client.sent if t < back][2:]
    assert min(gaps(during)) >= 120.0  # Retry-After held, across runs too
    assert len(during) == 12  # not hammering: 4 attempts a run, 2 minutes apart
    assert max(clock.slept) <= 300  # no wait beyond the cap
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(replay.oai_ids())
    statuses = list(IngestRun.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["failed"] * 3 + ["succeeded"]


def test_asked_to_wait_past_the_cap_a_run_gives_up_at_once_and_none_asks_before_time(
    replay, client, clock
):
    replay.faults = {3: Fault("status", 503, {"Retry-After": "3600"})}
    with pytest.raises(ArxivError, match="asked to wait 3600 s"):
        arxiv.harvest_oai("cs", dt.date(2026, 1, 1), client=client)
    assert max(clock.slept) <= 3.0  # it did not sit out the hour

    clock.t += dt.timedelta(minutes=30)
    with pytest.raises(ArxivError, match="asked to wait until"):
        arxiv.harvest_oai("cs", client=client)
    assert len(replay.requests) == 3  # nobody asked arXiv before its time

    clock.t += dt.timedelta(minutes=31)
    arxiv.harvest_oai("cs", client=client)
    assert replay.requests[3].params["resumptionToken"] == "2026-01-01|6"
    assert Paper.objects.count() == 12


def test_papers_deleted_on_arxiv_leave_feeds_and_search_but_keep_their_rows(replay, client):
    arxiv.harvest_oai("cs", dt.date(2026, 1, 1), client=client)
    run_worker()
    gone = Paper.objects.get(arxiv_id="2601.10001")
    feature(gone, dt.date(2026, 1, 7))
    assert search.search("synthetic paper 1").ids[:1] == [gone.pk]

    replay.oai_delete("2601.10001", dt.date(2026, 1, 10))
    report = arxiv.harvest_oai("cs", client=client)
    run_worker()

    gone.refresh_from_db()
    assert gone.hidden and gone.deleted_at is not None
    assert report.deleted == 1 and "deleted on arXiv 1" in report.summary()
    assert IngestRun.objects.filter(kind="oai").latest("started_at").deleted == 1
    assert gone.pk not in search.search("synthetic paper 1").ids
    assert not feed.listing(dt.date(2026, 1, 7), dt.date(2026, 1, 7)).exists()
    assert arxiv.harvest_oai("cs", dt.date(2026, 1, 10), client=client).deleted == 0  # once
    page = Client().get("/papers/2601.10001").content.decode()
    assert "arXiv reported this paper deleted on" in page


# --- RSS --------------------------------------------------------------------------------------


def test_fetch_new_lands_announcements_and_the_rule_features_them(replay, client):
    FeatureRule.objects.create(name="ML", categories=["cs.LG"], enabled=True)

    report = arxiv.fetch_new(["cs.LG", "cs.AI", "cs.CL", "stat.ML"], client)

    assert report.created == 4 and report.skipped == 0
    new = Paper.objects.get(arxiv_id="2609.26811")
    assert new.announced == dt.date(2026, 9, 24)
    featured = Featured.objects.filter(source="rule")
    # the new cs.LG papers; not the cross-list (no cs.LG) nor the replaced one
    assert sorted(featured.values_list("paper__arxiv_id", "day")) == [
        ("2609.26811", dt.date(2026, 9, 24)),
        ("2609.26820", dt.date(2026, 9, 24)),
    ]
    assert replay.requests[0].path == "/rss/cs.LG+cs.AI+cs.CL+stat.ML"


def test_fetch_new_with_the_rule_off_features_nothing(replay, client):
    FeatureRule.objects.create(name="ML", categories=["cs.LG"], enabled=False)
    arxiv.fetch_new(["cs.LG", "cs.AI", "cs.CL", "stat.ML"], client)
    assert not Featured.objects.exists()


# --- the installation-wide rate limit ---------------------------------------------------------


def test_a_crashed_holder_keeps_the_slot_only_until_its_lease_ends(clock):
    dead = RateLimiter(clock, interval=3.0, lease=120)
    dead.acquire()  # and never releases: the process died
    alive = RateLimiter(clock, interval=3.0, lease=120)
    start = clock.now()
    alive.acquire()
    assert (clock.now() - start).total_seconds() >= 120


def test_a_holder_whose_process_died_here_loses_the_slot_at_once(clock):
    lease_ends = clock.now() + dt.timedelta(hours=1)
    RateLock.objects.create(
        name="arxiv", holder=f"{socket.gethostname()}:{finished_pid()}:x", lease_until=lease_ends
    )
    start = clock.now()
    RateLimiter(clock, interval=3.0).acquire()
    assert clock.now() == start  # no wait for the lease
    assert RateLock.objects.get().holder.startswith(f"{socket.gethostname()}:{os.getpid()}:")


# --- the commands -----------------------------------------------------------------------------


def test_fetch_ids_command(replay, settings):
    settings.DAILYPAPERS_ARXIV_MIN_INTERVAL = 0.01
    out, err = run_command("fetch", "ids", "https://arxiv.org/abs/2410.19022v1", "2410.1")
    assert "Fetched 2 id(s): read 2, created 1, updated 0, unchanged 0, skipped 1" in out
    assert "2410.1: not an arXiv id" in err
    assert Paper.objects.filter(arxiv_id="2410.19022").exists()


def test_fetch_new_on_a_day_without_announcements(replay, settings):
    settings.DAILYPAPERS_ARXIV_MIN_INTERVAL = 0.01
    rss = replay.rss["/rss/cs.LG+cs.AI+cs.CL+stat.ML"].decode()
    replay.rss["/rss/cs.DL"] = re.sub(r"<item>.*</item>", "", rss, flags=re.S).encode()

    out, _ = run_command("fetch", "new", "--categories", "cs.DL")

    assert "Announcements of cs.DL: read 0, created 0" in out
    run = IngestRun.objects.get(kind="rss")
    assert run.status == "succeeded" and "no announcements" in run.message


def test_harvest_command_rejects_a_bad_date():
    with pytest.raises(CommandError, match=r"--from: not a date \(YYYY-MM-DD\): '2026-13-01'"):
        run_command("harvest", "oai", "--from", "2026-13-01")


def test_unreachable_arxiv_is_a_clear_command_error(settings):
    settings.DAILYPAPERS_ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens
    settings.DAILYPAPERS_ARXIV_MIN_INTERVAL = settings.DAILYPAPERS_ARXIV_BACKOFF = 0.01
    with pytest.raises(CommandError, match=r"kept failing after 6 attempts .*ConnectError"):
        run_command("fetch", "ids", "2410.19022")


def test_concurrent_clients_share_one_slot_and_the_spacing(replay):
    """Three clients in parallel (as three workers would be): never two requests at once, and
    every request starts at least the interval after the previous one ended."""
    replay.delay = 0.05
    errors: list[BaseException] = []

    def work() -> None:
        try:
            c = ArxivClient(interval=0.2, max_attempts=1)
            for ident in RECORDED_IDS[:3]:
                c.get(replay.url + "/api/query", {"id_list": ident}, lambda body: body)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(replay.arrivals) == 9 and replay.max_in_flight == 1
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(sorted(replay.arrivals)))
