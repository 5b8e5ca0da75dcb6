"""Fixtures of the upstream tests: a replay of Hugging Face's /api/daily_papers and a client of
it on a fake clock (tests/upstream_replay.py)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.utils import timezone

from dailypapers.ingest.upstream_client import UpstreamClient
from tests.upstream_replay import UpstreamReplay


class FakeClock:
    """The time of the code under test (the polite client's and ``timezone.now``): stopped,
    moved only by ``sleep`` (which notes each wait) or by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += dt.timedelta(seconds=seconds)

    def seconds(self) -> float:
        return self.t.timestamp()


@pytest.fixture
def hf_clock(monkeypatch) -> FakeClock:
    """Thursday 2025-09-04, noon in New York: the upstreams' today is the last recorded day."""
    clock = FakeClock(dt.datetime(2025, 9, 4, 16, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


@pytest.fixture
def hf(hf_clock):
    """The replay, its rate-limit window on the fake clock."""
    with UpstreamReplay(clock=hf_clock.seconds) as server:
        yield server


@pytest.fixture
def hf_client(hf, hf_clock, settings) -> UpstreamClient:
    """The real client of ``hf`` on the fake clock, 1 s apart, backing off from 2 s; it notes
    the (fake) time of every request it sends in ``sent``."""
    settings.DAILYPAPERS_UPSTREAM_BACKOFF = 2.0
    sent: list[dt.datetime] = []
    http = httpx.Client(
        timeout=5, event_hooks={"request": [lambda request: sent.append(hf_clock.now())]}
    )
    client = UpstreamClient(hf.url, http=http, clock=hf_clock, interval=1.0, max_attempts=4)
    client.sent = sent  # type: ignore[attr-defined]
    return client
