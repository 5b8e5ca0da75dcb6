"""Following upstreams: syncing recorded days of Hugging Face's /api/daily_papers from a local
replay (tests/upstream_replay.py, tests/fixtures/hf-daily) into featured papers. The faults
are in test_upstream_faults.py."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest
from django.core.management import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from dailypapers.feed import services as feed
from dailypapers.feed.models import Featured, Upstream, UpstreamFeature
from dailypapers.ingest import upstream_client, upstreams
from dailypapers.ingest.models import IngestRun
from dailypapers.papers.models import Paper
from tests import factories
from tests.conftest import free_port, run_command, shared_data
from tests.upstream_replay import HTML, Fault, UpstreamReplay, archive_days, recorded_days

pytestmark = pytest.mark.django_db(transaction=True)

D2, D3, D4 = dt.date(2025, 9, 2), dt.date(2025, 9, 3), dt.date(2025, 9, 4)
RECORDED = recorded_days()
COMPLETION = "dailypapers.ingest.tasks.complete_from_arxiv"
WRITTEN = {m._meta.db_table for m in (Paper, Featured, UpstreamFeature)}


def writes(queries: CaptureQueriesContext) -> list[str]:
    """The statements that wrote papers or featurings."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)
        and any(table in q["sql"] for table in WRITTEN)
    ]


def page_size(monkeypatch, size: int) -> None:
    """Requests of ``size`` items (the sync reads a shorter page as the day's last)."""
    monkeypatch.setattr(upstream_client, "PAGE_SIZE", size)
    monkeypatch.setattr(upstreams, "PAGE_SIZE", size)


def recorded(day: dt.date, arxiv_id: str) -> dict:
    return next(i for i in RECORDED[day] if i["paper"]["id"] == arxiv_id)


def hf_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- a day lands ------------------------------------------------------------------------------


def test_a_recorded_day_is_featured_as_the_upstreams_with_its_papers(hf, hf_client):
    queued: list[list[str]] = []

    report = upstreams.sync(hf.url, D3, D3, hf_client, queued.append)

    ids = [i["paper"]["id"] for i in RECORDED[D3]]
    assert len(ids) == 26
    assert (report.days, report.read, report.created, report.featured) == (1, 26, 26, 26)
    assert (report.skipped, report.failed_days, report.completions) == (0, [], 26)
    assert queued == [ids]  # arXiv's details of the new papers, asked once, in the day's order
    assert [(r.params, r.path) for r in hf.requests] == [
        ({"date": "2025-09-03", "limit": "100", "p": "0"}, "/api/daily_papers")
    ]

    upstream = Upstream.objects.get()
    assert upstream.url == hf.url and upstream.name == hf.url.removeprefix("http://")
    rows = {f.paper.arxiv_id: f for f in Featured.objects.filter(day=D3).select_related("paper")}
    assert sorted(rows) == sorted(ids)
    for ident, row in rows.items():
        item = recorded(D3, ident)
        assert row.source == Featured.Source.UPSTREAM
        assert (row.imported_upvotes, row.imported_comments) == (
            item["paper"]["upvotes"],
            item["numComments"],
        )
        assert row.featured_at == hf_time(item["paper"]["submittedOnDailyAt"])
    their = {u.paper.arxiv_id: u for u in UpstreamFeature.objects.select_related("paper")}
    survey = their["2509.02547"]
    assert (survey.upstream, survey.day, survey.upvotes, survey.comments) == (upstream, D3, 35, 1)
    assert (survey.counted_upvotes, survey.counted_comments, survey.hidden) == (35, 1, False)
    assert survey.submitted_by == recorded(D3, "2509.02547")["paper"]["submittedOnDailyBy"]["user"]
    assert {u.submitted_by for u in their.values()} == {
        "ada-l",
        "alan-t",
        "grace-h",
        "edsger-d",
        "barbara-l",
    }

    paper = Paper.objects.get(arxiv_id="2509.02479")
    item = recorded(D3, "2509.02479")["paper"]
    assert paper.title == (
        "SimpleTIR: End-to-End Reinforcement Learning for Multi-Turn Tool-Integrated Reasoning"
    )  # arXiv's hard wrap undone
    assert paper.abstract == " ".join(item["summary"].split())
    assert paper.authors == [a["name"] for a in item["authors"]]  # in order
    assert paper.published == hf_time(item["publishedAt"])
    assert paper.ai_summary == item["ai_summary"] == f"Synthesized summary of {paper.title}"
    assert paper.ai_keywords == item["ai_keywords"]
    assert paper.ai_keywords[:3] == ["simpletir", "end-to-end", "reinforcement"]
    assert (paper.code_url, paper.github_stars) == (item["githubRepo"], 191)
    assert paper.project_url == item["projectPage"]
    assert paper.categories == []  # arXiv's details come with the queued completion

    assert upstream.last_success_at == hf_client.clock.now() and upstream.last_error == ""
    assert upstream.last_counts == {
        "days": 1,
        "read": 26,
        "created": 26,
        "featured": 26,
        "skipped": 0,
        "unchanged_days": 0,
    }
    run = IngestRun.objects.get(kind="sync")
    assert (run.status, run.created, run.featured, run.requests) == ("succeeded", 26, 26, 1)
    assert run.params == {"upstream": hf.url, "from": "2025-09-03", "to": "2025-09-03"}


def test_a_paper_already_here_is_featured_not_created_nor_sent_to_arxiv(hf, hf_client):
    known = factories.paper("2509.02547", title="Known", categories=["cs.AI"], version=2)
    queued: list[list[str]] = []

    report = upstreams.sync(hf.url, D3, D3, hf_client, queued.append)

    assert (report.created, report.updated, report.featured) == (25, 1, 26)
    assert queued == [[i for i in hf.ids(D3) if i != "2509.02547"]]
    known.refresh_from_db()
    assert known.categories == ["cs.AI"] and known.version == 2  # arXiv's word stays
    assert known.ai_summary.startswith("Synthesized summary of")  # Hugging Face's is added
    assert Featured.objects.get(paper=known, day=D3).imported_upvotes == 35


def test_completion_goes_to_the_task_queue_by_default(hf, hf_client):
    upstreams.sync(hf.url, D2, D2, hf_client)

    task = DBTaskResult.objects.get(task_path=COMPLETION)
    assert task.args_kwargs["args"] == [hf.ids(D2)]


def test_the_days_of_a_range_are_read_newest_first(hf, hf_client):
    report = upstreams.sync(hf.url, D2, D4, hf_client, lambda ids: None)

    assert [r.params["date"] for r in hf.requests] == ["2025-09-04", "2025-09-03", "2025-09-02"]
    assert (report.days, report.featured) == (3, 34)
    days = dict.fromkeys([D2, D3, D4], 0)
    for day in Featured.objects.values_list("day", flat=True):
        days[day] += 1
    assert days == {D2: 4, D3: 26, D4: 4}


def test_a_paper_listed_on_two_days_is_featured_on_both_as_the_newer_day_says(hf, hf_client):
    """Hugging Face lists a few papers on two days. The older day of a sync, read second,
    features them too but does not overwrite what the newer one said of the paper; a day of
    such papers only, or an empty day, is no special case."""
    again = hf.items(D4)[2]  # MOSAIC, 272 stars on GitHub
    old = {**again, "paper": {**again["paper"], "githubStars": 1, "upvotes": 2}}
    hf.set_day(D3, [old])
    hf.set_day(D2, [])

    report = upstreams.sync(hf.url, D2, D4, hf_client, lambda ids: None)

    assert (report.days, report.read, report.created, report.featured) == (3, 5, 4, 5)
    both = Featured.objects.filter(paper__arxiv_id=again["paper"]["id"]).order_by("day")
    assert [(f.day, f.imported_upvotes) for f in both] == [(D3, 2), (D4, 3)]
    assert both[0].paper.github_stars == 272


@pytest.mark.parametrize(("size", "requests"), [(10, 3), (13, 3), (26, 2), (100, 1)])
def test_a_day_is_read_page_by_page_until_a_short_page(hf, hf_client, monkeypatch, size, requests):
    page_size(monkeypatch, size)

    report = upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)

    assert [r.params["p"] for r in hf.requests] == [str(p) for p in range(requests)]
    assert {r.params["limit"] for r in hf.requests} == {str(size)}
    assert (report.read, report.featured) == (26, 26)
    assert Featured.objects.filter(day=D3).count() == 26
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(hf_client.sent)]
    assert all(gap >= 1.0 for gap in gaps)  # the client's interval


def test_a_day_over_several_pages_gives_each_paper_once(hf, hf_client, monkeypatch):
    """Hugging Face orders a day by its votes: between two pages a paper may move to the next
    page and be listed twice; it is featured once, with the later counts."""
    page_size(monkeypatch, 10)
    items = hf.items(D3)
    moved = dict(items[9], paper={**items[9]["paper"], "upvotes": 99})
    hf.set_day(D3, [*items[:10], moved, *items[10:]])

    report = upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)

    assert report.read == 27 and report.skipped == 0
    assert Featured.objects.filter(day=D3).count() == 26
    assert Featured.objects.get(paper__arxiv_id=moved["paper"]["id"]).imported_upvotes == 99


# --- syncing again ----------------------------------------------------------------------------


@pytest.mark.parametrize("etags", [True, False], ids=["etag-304", "no-etag"])
def test_syncing_an_unchanged_day_again_writes_nothing(hf, hf_client, monkeypatch, etags):
    hf.etags = etags
    page_size(monkeypatch, 10)
    upstreams.sync(hf.url, D2, D3, hf_client, lambda ids: None)
    modified = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    hf.requests.clear()
    hf_client.clock.t += dt.timedelta(hours=1)
    queued: list[list[str]] = []

    with CaptureQueriesContext(connection) as queries:
        report = upstreams.sync(hf.url, D2, D3, hf_client, queued.append)

    assert writes(queries) == []
    assert dict(Paper.objects.values_list("arxiv_id", "modified_at")) == modified
    assert queued == [] and report.created == report.updated == report.featured == 0
    assert len(hf.requests) == 4  # pages 0-2 of D3, page 0 of D2
    if etags:
        assert all(r.if_none_match.startswith('W/"') for r in hf.requests)
        assert {r.status for r in hf.requests} == {304}
        assert (report.unchanged_days, report.read) == (2, 0)
    else:
        assert {r.if_none_match for r in hf.requests} == {""}
        assert (report.unchanged_days, report.read, report.unchanged) == (0, 30, 30)
    assert Upstream.objects.get().last_success_at == hf_client.clock.now()


def test_a_changed_page_is_read_again_whatever_the_etags(hf, hf_client, monkeypatch):
    page_size(monkeypatch, 10)
    upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)
    last = hf.ids(D3)[-1]  # on the last page
    hf.set_counts(D3, last, upvotes=5)
    hf.requests.clear()

    report = upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)

    assert [r.status for r in hf.requests] == [304, 304, 200]
    assert report.featured == 1 and report.unchanged_days == 0
    assert Featured.objects.get(paper__arxiv_id=last).imported_upvotes == 5


def test_counts_mirror_the_upstreams_lowered_too(hf, hf_client):
    upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)
    hf.set_counts(D3, "2509.02547", upvotes=30, numComments=4)  # a vote withdrawn there
    hf.set_counts(D3, "2509.00676", upvotes=40)

    with CaptureQueriesContext(connection) as queries:
        report = upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)

    assert report.featured == 2
    assert all("UPDATE" in sql for sql in writes(queries))
    survey = Featured.objects.get(paper__arxiv_id="2509.02547")
    assert (survey.imported_upvotes, survey.imported_comments) == (30, 4)
    assert Featured.objects.get(paper__arxiv_id="2509.00676").imported_upvotes == 40
    their = UpstreamFeature.objects.get(paper__arxiv_id="2509.02547")
    assert (their.upvotes, their.comments, their.counted_upvotes) == (30, 4, 30)
    assert Featured.objects.get(paper__arxiv_id="2509.02479").imported_upvotes == 30  # as was


def test_a_paper_the_upstream_drops_later_stays_featured(hf, hf_client):
    upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)
    hf.drop(D4, "2509.01106")

    report = upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)

    assert report.read == 3
    row = Featured.objects.get(paper__arxiv_id="2509.01106", day=D4)
    assert row.imported_upvotes == 24
    assert UpstreamFeature.objects.filter(paper__arxiv_id="2509.01106").count() == 1
    assert Featured.objects.filter(day=D4).count() == 4


def test_a_hidden_featuring_stays_hidden_and_leaves_the_day(hf, hf_client):
    upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)
    robix = UpstreamFeature.objects.get(paper__arxiv_id="2509.01106")

    assert feed.hide_upstream_features([robix]) == 1
    assert not Featured.objects.filter(paper=robix.paper).exists()  # only this upstream had it

    hf.set_counts(D4, "2509.01106", upvotes=50, numComments=3)  # so that the sync writes
    upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)

    robix.refresh_from_db()
    assert robix.hidden and (robix.upvotes, robix.comments) == (50, 3)
    assert not Featured.objects.filter(paper=robix.paper).exists()
    assert Featured.objects.filter(day=D4).count() == 3

    assert feed.hide_upstream_features([robix], hidden=False) == 1
    assert Featured.objects.get(paper=robix.paper).imported_upvotes == 50


def test_hiding_one_upstreams_featuring_keeps_the_others(hf, hf_client, hf_clock):
    with UpstreamReplay(clock=hf_clock.seconds) as other:
        other.set_day(D4, hf.items(D4)[:1])
        other.set_counts(D4, "2509.01106", upvotes=3, numComments=0)
        upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)
        upstreams.sync(other.url, D4, D4, _client(other, hf_clock), lambda ids: None)

    row = Featured.objects.get(paper__arxiv_id="2509.01106")
    assert row.imported_upvotes == 24 + 3
    feed.hide_upstream_features(UpstreamFeature.objects.filter(upstream__url=hf.url))
    row.refresh_from_db()
    assert (row.imported_upvotes, row.imported_comments) == (3, 0)


def test_two_upstreams_featuring_a_paper_sum_their_counts(hf, hf_client, hf_clock):
    """Federation: another dailypapers site tells its own members' part of the counts
    (memberUpvotes), which alone is added to Hugging Face's: its relayed votes are not counted
    twice."""
    with UpstreamReplay(clock=hf_clock.seconds) as site:
        items = hf.items(D3)[:2]
        items[0]["paper"].update(upvotes=35 + 4, memberUpvotes=4, memberComments=2)
        items[0]["numComments"] = 1 + 2
        items[1]["paper"].update(memberUpvotes=0, memberComments=0)
        site.set_day(D3, items)
        upstreams.sync(hf.url, D3, D3, hf_client, lambda ids: None)
        report = upstreams.sync(site.url, D3, D3, _client(site, hf_clock), lambda ids: None)

    assert (report.created, report.featured) == (0, 2)
    survey = Featured.objects.get(paper__arxiv_id="2509.02547")
    assert (survey.imported_upvotes, survey.imported_comments) == (35 + 4, 1 + 2)
    on_site = UpstreamFeature.objects.get(upstream__url=site.url, paper=survey.paper)
    assert (on_site.upvotes, on_site.counted_upvotes) == (39, 4)  # the whole, and our part
    assert (on_site.comments, on_site.counted_comments) == (3, 2)
    critic = Featured.objects.get(paper__arxiv_id="2509.00676")
    assert critic.imported_upvotes == 34  # the site's members added none
    assert Featured.objects.count() == 26


def test_a_members_featuring_keeps_its_source_and_takes_the_counts(hf, hf_client):
    mine = factories.paper("2509.00375")
    Featured.objects.create(
        paper=mine,
        day=D4,
        source=Featured.Source.MEMBER,
        featured_at=dt.datetime(2025, 9, 4, 0, 30, tzinfo=dt.UTC),
    )

    upstreams.sync(hf.url, D4, D4, hf_client, lambda ids: None)

    row = Featured.objects.get(paper=mine, day=D4)
    assert row.source == Featured.Source.MEMBER and row.imported_upvotes == 18
    feed.hide_upstream_features(UpstreamFeature.objects.filter(paper=mine))
    row.refresh_from_db()
    assert row.imported_upvotes == 0  # the member's featuring stays


def _client(replay: UpstreamReplay, clock) -> upstream_client.UpstreamClient:
    return upstream_client.UpstreamClient(
        replay.url, http=httpx.Client(timeout=5), clock=clock, interval=1.0, max_attempts=2
    )


# --- which days, which upstreams --------------------------------------------------------------


def test_a_first_sync_backfills_and_the_next_reads_today_only(hf, hf_client, settings):
    settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS = 3

    first = upstreams.sync(hf.url, client=hf_client, enqueue=lambda ids: None)

    assert upstreams.upstream_today() == D4  # noon in New York
    dates = [r.params["date"] for r in hf.requests]
    assert dates == ["2025-09-04", "2025-09-03", "2025-09-02", "2025-09-01"]
    assert (first.days, first.featured) == (4, 34)
    assert Upstream.objects.get().backfilled_at == hf_client.clock.now()

    hf.requests.clear()
    hf_client.clock.t += dt.timedelta(hours=1)
    upstreams.sync(hf.url, client=hf_client, enqueue=lambda ids: None)
    assert [r.params["date"] for r in hf.requests] == ["2025-09-04"]


def test_today_is_new_yorks(hf, hf_client, settings):
    settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS = 0
    hf_client.clock.t = dt.datetime(2025, 9, 5, 3, 59, tzinfo=dt.UTC)  # 23:59 in New York

    upstreams.sync(hf.url, client=hf_client, enqueue=lambda ids: None)

    assert [r.params["date"] for r in hf.requests] == ["2025-09-04"]


def test_a_backfill_that_failed_is_tried_again(hf, hf_client, settings):
    settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS = 2
    hf.outage = lambda r: Fault("status", 503) if r.params["date"] == "2025-09-03" else None

    with pytest.raises(upstream_client.UpstreamError):
        upstreams.sync(hf.url, client=hf_client, enqueue=lambda ids: None)

    assert Upstream.objects.get().backfilled_at is None
    hf.outage = lambda r: None
    hf.requests.clear()
    upstreams.sync(hf.url, client=hf_client, enqueue=lambda ids: None)
    assert len(hf.requests) == 3 and Upstream.objects.get().backfilled_at is not None


def test_sync_followed_syncs_each_followed_upstream_and_stops_when_unfollowed(
    hf, hf_clock, settings
):
    settings.DAILYPAPERS_UPSTREAM_INTERVAL = 0
    settings.DAILYPAPERS_UPSTREAM_BACKOFF = 0
    settings.DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS = 1
    settings.DAILYPAPERS_UPSTREAM_BACKFILL_DAYS = 1
    down = f"http://127.0.0.1:{free_port()}"
    settings.DAILYPAPERS_UPSTREAMS = [down, hf.url]

    done = upstreams.sync_followed()

    assert done[0].startswith(f"{down}: ") and "ConnectError" in done[0]
    assert done[1] == (
        f"{hf.url}: 2 day(s), read 30, created 30, updated 0, unchanged 0, skipped 0, featured 30"
    )
    assert [r.params["date"] for r in hf.requests] == ["2025-09-04", "2025-09-03"]
    assert Upstream.objects.get(url=down).last_error != ""

    settings.DAILYPAPERS_UPSTREAMS = [down]  # the operator stops following hf
    hf.requests.clear()
    assert len(upstreams.sync_followed()) == 1
    assert hf.requests == []
    assert Featured.objects.count() == 30  # what it brought stays
    assert UpstreamFeature.objects.filter(upstream__url=hf.url).count() == 30

    settings.DAILYPAPERS_UPSTREAMS = []
    assert upstreams.sync_followed() == []


def test_sync_followed_refreshes_the_last_days(hf, hf_clock, settings):
    settings.DAILYPAPERS_UPSTREAM_INTERVAL = 0
    settings.DAILYPAPERS_UPSTREAMS = [hf.url]
    Upstream.objects.create(url=hf.url, name="replay", backfilled_at=hf_clock.now())

    upstreams.sync_followed(refresh_days=3)

    assert [r.params["date"] for r in hf.requests] == ["2025-09-04", "2025-09-03", "2025-09-02"]


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def fast(settings):
    settings.DAILYPAPERS_UPSTREAM_INTERVAL = 0
    settings.DAILYPAPERS_UPSTREAM_BACKOFF = 0
    settings.DAILYPAPERS_UPSTREAM_MAX_ATTEMPTS = 2


def test_sync_command_reads_the_range_and_says_what_it_did(hf, fast):
    out, err = run_command("sync", "--upstream", hf.url, "--from", "2025-09-02", "--to", D4)

    assert out == (
        f"Synced {hf.url}: 3 day(s), read 34, created 34, updated 0, unchanged 0, skipped 0, "
        "featured 34\n"
    )
    assert err == ""
    assert Featured.objects.count() == 34
    tasks = DBTaskResult.objects.filter(task_path=COMPLETION)
    queued = sorted(sorted(t.args_kwargs["args"][0]) for t in tasks)
    assert queued == sorted(sorted(hf.ids(day)) for day in (D2, D3, D4))  # a task a day


def test_sync_command_reports_skipped_items_and_failed_days(hf, fast):
    hf.set_day(D4, [*hf.items(D4), {"paper": {"id": "not-an-id", "title": "x"}}])
    hf.outage = lambda r: HTML if r.params["date"] == "2025-09-03" else None

    out, err = run_command("sync", "--upstream", hf.url + "/", "--from", D2, "--to", D4)

    assert "3 day(s), read 9, created 8" in out and "skipped 2" in out
    assert "failed days 2025-09-03" in out
    assert f"{hf.url}/api/daily_papers?date=2025-09-04&p=0 [4]: not an arXiv id" in err
    assert "2025-09-03&p=0: the upstream answered HTML, not JSON" in err


def test_sync_command_syncs_the_followed_upstreams(hf, fast, settings):
    settings.DAILYPAPERS_UPSTREAMS = [hf.url]
    out, _ = run_command("sync", "--from", D4, "--to", D4)
    assert out.startswith(f"Synced {hf.url}: 1 day(s), read 4, created 4")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-09-31"], r"--from: not a date \(YYYY-MM-DD\): '2025-09-31'"),
        (["--to", "yesterday"], r"--to: not a date \(YYYY-MM-DD\): 'yesterday'"),
        (["--from", "2025-09-04", "--to", "2025-09-02"], "--from is after --to"),
        (["--upstream", "huggingface.co"], "--upstream: not an http"),
        ([], "This site follows no upstream: set DAILYPAPERS_UPSTREAMS or give --upstream"),
    ],
)
def test_sync_command_refuses_what_it_cannot_do(args, message, settings):
    settings.DAILYPAPERS_UPSTREAMS = []
    with pytest.raises(CommandError, match=message):
        run_command("sync", *args)
    assert not IngestRun.objects.exists()


def test_sync_command_fails_clearly_on_an_unreachable_upstream_and_syncs_the_others(
    hf, fast, settings
):
    down = f"http://127.0.0.1:{free_port()}"
    settings.DAILYPAPERS_UPSTREAMS = [down, hf.url]

    with pytest.raises(CommandError, match=rf"Could not sync {down}; what was read is kept"):
        run_command("sync", "--from", D4, "--to", D4)

    assert Featured.objects.count() == 4  # the other upstream was synced
    failed = Upstream.objects.get(url=down)
    # refused: no retry holds the worker, the next hourly sync tries again
    assert "cannot be reached (ConnectError" in failed.last_error
    assert failed.last_success_at is None
    run = IngestRun.objects.get(params__upstream=down)
    assert run.status == "failed" and "ConnectError" in run.message


# --- the replay itself, and the real archive --------------------------------------------------


def test_the_replay_answers_huggingface_hubs_own_client(hf):
    from huggingface_hub import HfApi

    papers = list(HfApi(endpoint=hf.url).list_daily_papers(date="2025-09-03", limit=100))
    assert [p.id for p in papers] == hf.ids(D3)
    assert papers[0].upvotes == 35 and papers[0].submitted_by.username == "barbara-l"
    page = list(HfApi(endpoint=hf.url).list_daily_papers(date="2025-09-03", limit=10, p=2))
    assert [p.id for p in page] == hf.ids(D3)[20:]
    assert list(HfApi(endpoint=hf.url).list_daily_papers(date="2025-09-06")) == []


def test_a_month_of_the_real_archive_lands_as_recorded(hf_clock, settings, monkeypatch):
    """The shared archive's days through the replay, at Hugging Face's page size of 50 (the
    captures' own): every valid item of every day featured on it, once."""
    folder = shared_data("hf-daily-papers")
    days = archive_days(sorted(folder.glob("daily-*.jsonl.gz")), D2, dt.date(2025, 9, 30))
    monkeypatch.setattr(upstream_client, "PAGE_SIZE", 50)
    monkeypatch.setattr(upstreams, "PAGE_SIZE", 50)
    with UpstreamReplay(days, clock=hf_clock.seconds) as archive:
        report = upstreams.sync(
            archive.url, D2, dt.date(2025, 9, 30), _client(archive, hf_clock), lambda ids: None
        )

    expected = {(day, i["paper"]["id"]) for day, items in days.items() for i in items}
    assert len(days) >= 18 and report.skipped == 0 and report.failed_days == []
    assert set(Featured.objects.values_list("day", "paper__arxiv_id")) == expected
    assert report.read == sum(len(items) for items in days.values())
    assert max(len(items) for items in days.values()) == 50  # 2025-09-30: two pages
    assert Featured.objects.filter(day=dt.date(2025, 9, 30)).count() == 50
