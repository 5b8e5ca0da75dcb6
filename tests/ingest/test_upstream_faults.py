"""What an upstream can do wrong, replayed (tests/upstream_replay.py): outages and rate limits
(waited out on a fake clock), slow answers, malformed pages and items, a server that goes
away mid-sync, and several syncs at once."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import threading

import httpx
import pytest
from django.db import connection, transaction

from dailypapers.feed import services as feed_services
from dailypapers.feed.models import Featured, Upstream, UpstreamFeature
from dailypapers.ingest import upstream_client, upstreams
from dailypapers.ingest.models import IngestError, IngestRun, RateLock
from dailypapers.ingest.upstream_client import UpstreamClient, UpstreamError
from tests.upstream_replay import HTML, HUGE, NOT_JSON, OBJECT, Fault, UpstreamReplay

pytestmark = pytest.mark.django_db(transaction=True)

D2, D3, D4 = dt.date(2025, 9, 2), dt.date(2025, 9, 3), dt.date(2025, 9, 4)


def gaps(times: list[dt.datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def featured_days() -> dict[dt.date, int]:
    days: dict[dt.date, int] = {}
    for day in Featured.objects.values_list("day", flat=True):
        days[day] = days.get(day, 0) + 1
    return days


def sync(hf, client, start=D2, end=D4):
    return upstreams.sync(hf.url, start, end, client, lambda ids: None)


def on_day(day: dt.date, fault: Fault):
    """An outage of one day's requests."""
    return lambda request: fault if request.params.get("date") == day.isoformat() else None


# --- outages and rate limits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        (Fault("status", 503), 2.0),  # the client's first backoff
        (Fault("status", 503, {"Retry-After": "7"}), 7.0),
        (Fault("status", 502, body=HTML.body), 2.0),
        (Fault("status", 429, {"RateLimit": '"api";r=0;t=42'}), 42.0),  # Hugging Face's
        (Fault("status", 429), 2.0),
        (Fault("reset"), 2.0),
        (Fault("truncate"), 2.0),
    ],
    ids=["503", "503-retry-after", "502-html", "429-ratelimit", "429", "reset", "truncated"],
)
def test_a_failed_request_is_retried_after_the_wait_asked_or_the_backoff(
    hf, hf_client, fault, wait
):
    hf.faults = {1: fault}

    report = sync(hf, hf_client, D4, D4)

    assert (report.featured, report.skipped) == (4, 0)
    assert len(hf.requests) == 2
    # The wait asked, or the backoff; not the end of Hugging Face's quota window (t=300 on
    # every answer) while requests remain in it.
    assert wait <= gaps(hf_client.sent)[0] < wait + 1
    assert Upstream.objects.get().last_error == ""


def test_a_retry_after_date_is_honoured(hf, hf_client, hf_clock):
    when = email.utils.format_datetime(hf_clock.now() + dt.timedelta(seconds=30), usegmt=True)
    hf.faults = {1: Fault("status", 503, {"Retry-After": when})}

    assert sync(hf, hf_client, D4, D4).featured == 4
    assert 30 <= gaps(hf_client.sent)[0] < 31


def test_an_outage_of_a_minute_is_waited_out(hf, hf_client, hf_clock):
    back = hf_clock.now() + dt.timedelta(minutes=1)
    down = Fault("status", 503, {"Retry-After": "25"})
    hf.outage = lambda request: down if hf_clock.now() < back else None

    report = sync(hf, hf_client)

    assert report.featured == 34 and featured_days() == {D2: 4, D3: 26, D4: 4}
    assert [r.status for r in hf.requests] == [503, 503, 503, 200, 200, 200]
    assert gaps(hf_client.sent)[:3] == [25.0, 25.0, 25.0]
    assert max(hf_clock.slept) <= 120  # DAILYPAPERS_UPSTREAM_MAX_WAIT


def test_an_upstream_that_keeps_failing_ends_the_sync_and_says_why(hf, hf_client, hf_clock):
    hf.outage = lambda request: Fault("status", 503)

    with pytest.raises(UpstreamError, match=r"kept failing after 4 attempts .* HTTP 503"):
        sync(hf, hf_client)

    assert len(hf.requests) == 4 and gaps(hf_client.sent) == [2.0, 4.0, 8.0]  # backing off
    upstream = Upstream.objects.get()
    assert "HTTP 503" in upstream.last_error and upstream.last_error_at == hf_clock.now()
    assert upstream.last_success_at is None  # nothing was read
    assert upstream.last_counts["days"] == 0
    run = IngestRun.objects.get(kind="sync")
    assert (run.status, run.requests) == ("failed", 4) and "HTTP 503" in run.message


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "3600"}, {"RateLimit": '"api";r=0;t=3600'}],
    ids=["retry-after", "ratelimit"],
)
def test_asked_to_wait_past_the_max_wait_the_sync_stops_and_nobody_asks_before_time(
    hf, hf_client, hf_clock, headers
):
    hf.faults = {2: Fault("status", 429, headers)}

    with pytest.raises(UpstreamError, match="asked to wait 3600 s"):
        sync(hf, hf_client)

    assert featured_days() == {D4: 4}  # the day read before stays
    assert max(hf_clock.slept, default=0) <= 1.0  # it did not sit out the hour
    upstream = Upstream.objects.get()
    assert "asked to wait 3600 s" in upstream.last_error
    assert upstream.last_success_at == hf_clock.now()  # D4 was read

    hf_clock.t += dt.timedelta(minutes=30)
    with pytest.raises(UpstreamError, match="asked to wait until"):
        sync(hf, hf_client)
    assert len(hf.requests) == 2  # not asked before its time

    hf_clock.t += dt.timedelta(minutes=31)
    sync(hf, hf_client)
    assert featured_days() == {D2: 4, D3: 26, D4: 4}


def test_a_spent_quota_is_waited_out_before_the_next_request(hf_clock, settings):
    """Hugging Face's answers say how many requests the window has left: at 0 the client
    waits for the window's end (t) instead of running into a 429."""
    with UpstreamReplay(quota=2, window=60, clock=hf_clock.seconds) as hf:
        client = UpstreamClient(hf.url, clock=hf_clock, interval=1.0)
        sync(hf, client)

    assert [r.status for r in hf.requests] == [200, 200, 200]
    assert 59 <= hf_clock.slept[-1] <= 60  # t of the second answer: the window's end


def test_a_quota_window_past_the_max_wait_stops_the_sync_with_what_it_read(hf_clock):
    with UpstreamReplay(quota=2, window=300, clock=hf_clock.seconds) as hf:
        client = UpstreamClient(hf.url, clock=hf_clock, interval=1.0)
        with pytest.raises(UpstreamError, match="asked to wait until"):
            sync(hf, client)

    assert len(hf.requests) == 2 and featured_days() == {D4: 4, D3: 26}
    assert RateLock.objects.get().next_allowed_at == hf_clock.now() + dt.timedelta(seconds=299)


def test_a_slow_answer_times_out_and_is_asked_again(hf, hf_clock, settings):
    settings.DAILYPAPERS_UPSTREAM_TIMEOUT = 0.2
    hf.faults = {1: Fault("slow", delay=2)}
    client = UpstreamClient(hf.url, clock=hf_clock, interval=0, max_attempts=3)

    assert sync(hf, client, D4, D4).featured == 4
    assert len(hf.requests) == 2


def test_an_upstream_slower_than_the_timeout_ends_the_sync(hf, hf_clock, settings):
    settings.DAILYPAPERS_UPSTREAM_TIMEOUT = 0.2
    hf.delay = 2
    client = UpstreamClient(hf.url, clock=hf_clock, interval=0, max_attempts=3)

    with pytest.raises(UpstreamError, match=r"kept failing after 3 attempts .*ReadTimeout"):
        sync(hf, client, D4, D4)
    assert len(hf.requests) == 3 and not Featured.objects.exists()


def test_an_upstream_that_goes_away_mid_sync_keeps_the_days_read(hf, hf_client, hf_clock):
    hf.faults = {3: Fault("gone")}  # while reading the third day

    with pytest.raises(UpstreamError, match="ConnectError"):
        sync(hf, hf_client)

    assert featured_days() == {D4: 4, D3: 26}
    assert len(hf.requests) == 3  # then nothing listened
    upstream = Upstream.objects.get()
    assert "ConnectError" in upstream.last_error
    assert upstream.last_error_at == upstream.last_success_at == hf_clock.now()
    assert upstream.last_counts == {
        "days": 2,
        "read": 30,
        "created": 30,
        "featured": 30,
        "skipped": 0,
        "unchanged_days": 0,
    }
    run = IngestRun.objects.get(kind="sync")
    # The reset request is retried: refused (or reset once more while the port closes), and a
    # refused connection ends the sync at once, without the retries that would hold the worker.
    assert (run.status, run.created) == ("failed", 30) and 2 + 2 <= run.requests <= 2 + 3


def test_the_client_says_who_it_is(hf, hf_clock, settings):
    settings.DAILYPAPERS_CONTACT_EMAIL = "ops@example.org"
    sync(hf, UpstreamClient(hf.url + "/", clock=hf_clock, interval=0), D4, D4)

    headers = hf.requests[0].headers
    assert "dailypapers/" in headers["user-agent"] and "ops@example.org" in headers["user-agent"]
    assert headers["accept"] == "application/json"
    assert hf.requests[0].path == "/api/daily_papers"


# --- malformed pages and items ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (HTML, "the upstream answered HTML, not JSON"),
        (NOT_JSON, "the answer is not JSON"),
        (Fault("body", body=b""), "the answer is not JSON"),
        (OBJECT, "expected a list of papers, got a JSON dict"),
        (Fault("body", body=b'"2509.02547"'), "expected a list of papers, got a JSON str"),
        (HUGE, "the answer is over 10 MB; refused"),
    ],
    ids=["html", "not-json", "empty", "object", "string", "20-MB"],
)
def test_a_malformed_page_skips_its_day_and_the_others_land(hf, hf_client, fault, reason):
    hf.outage = on_day(D3, fault)

    report = sync(hf, hf_client)

    assert featured_days() == {D2: 4, D4: 4}
    assert report.failed_days == ["2025-09-03"] and report.days == 3
    [(location, error)] = report.errors
    assert location == f"{hf.url}/api/daily_papers?date=2025-09-03&p=0"
    assert error.startswith(reason)
    assert len(hf.requests) == 3  # not asked again: it would answer the same
    upstream = Upstream.objects.get()
    assert upstream.last_error == "2025-09-03" and upstream.last_success_at is not None
    assert "failed days 2025-09-03" in report.summary()


class CountingTransport(httpx.HTTPTransport):
    """Counts the body bytes the client takes in."""

    taken = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        inner, transport = response.stream, self

        class Counted(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in inner:
                    transport.taken += len(chunk)
                    yield chunk

            def close(self) -> None:
                inner.close()

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=Counted(),
            extensions=response.extensions,
        )


def test_a_20_mb_page_is_refused_as_it_streams_in(hf, hf_clock):
    transport = CountingTransport()
    client = UpstreamClient(
        hf.url, http=httpx.Client(transport=transport, timeout=5), clock=hf_clock, interval=0
    )
    hf.faults = {1: HUGE}

    report = sync(hf, client, D4, D4)

    assert report.failed_days == ["2025-09-04"] and len(hf.requests) == 1
    assert 10 * 2**20 < transport.taken < 11 * 2**20  # the limit and a chunk, of 20 MB
    assert HUGE.size == 20 * 2**20


def test_the_data_wrapper_of_one_recorded_day_is_unwrapped(hf, hf_client):
    hf.faults = {1: Fault("wrapped")}
    assert sync(hf, hf_client, D3, D3).featured == 26


def test_a_day_skipped_half_way_is_read_whole_next_time(hf, hf_client, monkeypatch):
    """The pages read before a bad one are not taken as read: their ETags are not kept."""
    monkeypatch.setattr(upstream_client, "PAGE_SIZE", 10)
    monkeypatch.setattr(upstreams, "PAGE_SIZE", 10)
    hf.faults = {2: HTML}  # page 1 of 3

    assert sync(hf, hf_client, D3, D3).failed_days == ["2025-09-03"]
    assert not Featured.objects.exists()

    report = sync(hf, hf_client, D3, D3)
    assert report.featured == 26 and featured_days() == {D3: 26}


def test_a_day_cut_off_by_an_outage_is_read_whole_next_time(hf, hf_client, monkeypatch):
    monkeypatch.setattr(upstream_client, "PAGE_SIZE", 10)
    monkeypatch.setattr(upstreams, "PAGE_SIZE", 10)
    hf.faults = {n: Fault("status", 503) for n in range(2, 6)}

    with pytest.raises(UpstreamError):
        sync(hf, hf_client, D3, D3)

    assert sync(hf, hf_client, D3, D3).featured == 26


BAD_ITEMS = [
    ({"paper": {"title": "No id"}}, "missing arXiv id"),
    ({"paper": {"id": "not-an-id", "title": "Bad id"}}, "not an arXiv id"),
    ("2509.01106", "expected a daily_papers item (object), got str"),
    ({"paper": "2509.01106"}, "missing 'paper' object"),
    ({"paper": {"id": "2509.99991", "upvotes": "many", "title": "t"}}, "paper.upvotes"),
    ({"paper": {"id": "2509.99992"}, "summary": "No title anywhere"}, "missing title"),
    ({"paper": {"id": "2509.99993", "title": "t"}, "numComments": -3}, "numComments"),
    ({"paper": {"id": "2509.99994", "title": "t", "authors": "Ada"}}, "paper.authors"),
    ({"paper": {"id": "2509.99995", "title": 7}}, "expected text, got int"),
]


def test_malformed_items_are_reported_and_skipped_and_the_rest_lands(hf, hf_client):
    items = hf.items(D4)
    odd = dict(items[0], paper={**items[0]["paper"], "id": "2509.99996"})
    odd["paper"].update(ai_keywords="not a list", githubStars="lots", githubRepo="ftp://x")
    hf.set_day(
        D4, [*(bad for bad, _ in BAD_ITEMS[:4]), *items, odd, *(b for b, _ in BAD_ITEMS[4:])]
    )

    report = sync(hf, hf_client, D4, D4)

    assert (report.read, report.skipped, report.created) == (14, 9, 5)
    where = f"{hf.url}/api/daily_papers?date=2025-09-04&p=0"
    locations = [location for location, _ in report.errors]
    assert locations == [f"{where} [{n}]" for n in [0, 1, 2, 3, 9, 10, 11, 12, 13]]
    for (_, reason), (_, expected) in zip(report.errors, BAD_ITEMS, strict=True):
        assert expected in reason
    assert featured_days() == {D4: 5}
    landed = Featured.objects.get(paper__arxiv_id="2509.99996").paper
    assert (landed.ai_keywords, landed.github_stars, landed.code_url) == ([], None, "")
    assert IngestError.objects.count() == 9
    upstream = Upstream.objects.get()
    assert upstream.last_error == "" and upstream.last_counts["skipped"] == 9


# --- one request at a time --------------------------------------------------------------------


class MeetFirst:
    """``django.db.transaction`` for feed.services, where the first transaction of each of two
    threads waits for the other's: both syncs have read which featurings exist, then write."""

    def __init__(self) -> None:
        self.both, self.local = threading.Barrier(2, timeout=5), threading.local()

    def atomic(self, *args, **kwargs):
        if not getattr(self.local, "met", False):
            self.local.met = True
            self.both.wait()
        return transaction.atomic(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(transaction, name)


def test_syncs_at_once_share_one_slot_and_the_spacing_and_land_once(monkeypatch):
    """Two syncs of one upstream at once (the worker and the command): never two requests at
    once, each starting the interval after the previous one ended, and each paper featured
    once, though both wrote the first day at the same time."""
    errors: list[BaseException] = []
    monkeypatch.setattr(feed_services, "transaction", MeetFirst())
    with UpstreamReplay() as hf:
        hf.delay = 0.03

        def work() -> None:
            try:
                client = UpstreamClient(hf.url, interval=0.1, max_attempts=2)
                upstreams.sync(hf.url, D2, D4, client, lambda ids: None)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert errors == []
    assert len(hf.arrivals) == 6 and hf.max_in_flight == 1
    assert all(b - a >= 0.1 for a, b in itertools.pairwise(sorted(hf.arrivals)))
    assert featured_days() == {D2: 4, D3: 26, D4: 4}
    assert UpstreamFeature.objects.count() == 34
    assert IngestRun.objects.filter(kind="sync", status="succeeded").count() == 2
