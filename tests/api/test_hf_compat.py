"""huggingface_hub's own tests of Hugging Face's papers API (``TestPaperApi`` in its
tests/test_hf_api.py, at ee0a4510f), asserted here against this site, on the shared archive of
Hugging Face's daily papers: every test but ``linked_models`` (models hosted on huggingface.co).
Submitters reach this site through an upstream: the archive had them removed, so the day that
carries them is served by the upstream replay, with Hugging Face's public submitter (AK)."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError
from huggingface_hub.utils import close_session

from dailypapers.ingest import upstreams
from dailypapers.ingest.upstream_client import UpstreamClient
from tests.conftest import import_files, run_worker, shared_data
from tests.upstream_replay import UpstreamReplay, archive_days

# Days of the archive: around October 2025 (the month and week 44 the tests ask for), and
# around the day Hugging Face featured "The Llama 3 Herd of Models" (2024-08-01), when many
# papers said "llama".
SPANS = [(dt.date(2025, 9, 22), dt.date(2025, 11, 7)), (dt.date(2024, 7, 15), dt.date(2024, 8, 16))]
AK = {"_id": "60f1abe7544c2adfd699860c", "user": "akhaliq", "fullname": "AK", "type": "user"}


@pytest.fixture(scope="module")
def archive():
    paths = sorted(shared_data("hf-daily-papers").glob("daily-*.jsonl.gz"))
    days: dict[dt.date, list] = {}
    for start, end in SPANS:
        days.update(archive_days(paths, start, end))
    return days


@pytest.fixture
def hf(archive, live_server, transactional_db, tmp_path, settings):
    dump = tmp_path / "days.jsonl.gz"
    with gzip.open(dump, "wt") as out:
        for day, items in sorted(archive.items()):
            out.write(json.dumps({"date": day.isoformat(), "papers": items}) + "\n")
    import_files("hf-daily", dump)
    # The day AK submitted, as Hugging Face serves it to a site that follows it.
    day = dt.date(2025, 10, 29)
    items = json.loads(json.dumps(archive[day]))
    for item in items:
        item["paper"]["submittedOnDailyBy"] = item["submittedBy"] = AK
    settings.DAILYPAPERS_UPSTREAM_INTERVAL = 0
    with UpstreamReplay({day: items}) as replay:
        upstreams.sync(replay.url, day, day, UpstreamClient(replay.url), enqueue=lambda ids: None)
    run_worker()  # the keyword index and the embeddings of the imported papers
    yield HfApi(endpoint=live_server.url, token=False)
    close_session()  # its kept connection would hold a live-server thread's database one


def test_hugging_faces_own_papers_api_tests_pass_against_this_site(hf) -> None:
    """Each part is one of TestPaperApi's tests, named as there (one site built for all: the
    import and the embeddings take most of the time)."""
    # TestPaperApi.test_papers_by_query
    papers = list(hf.list_papers(query="llama"))
    assert len(papers) > 0
    assert "The Llama 3 Herd of Models" in [paper.title for paper in papers]
    assert len(list(hf.list_papers(query="llama", limit=2))) == 2

    # TestPaperApi.test_get_paper_by_id
    assert hf.paper_info("2407.21783").title == "The Llama 3 Herd of Models"
    with pytest.raises(HfHubHTTPError) as context:
        hf.paper_info("1234.56789")
    assert context.value.response.status_code == 404

    # TestPaperApi.test_list_daily_papers_by_date
    papers = list(hf.list_daily_papers(date="2025-10-29"))
    assert len(papers) > 0 and hasattr(papers[0], "id") and hasattr(papers[0], "title")
    with pytest.raises(BadRequestError):
        list(hf.list_daily_papers(date="2025-13-40"))
    latest = list(hf.list_daily_papers())
    assert len(latest) > 0 and hasattr(latest[0], "id") and hasattr(latest[0], "title")
    assert len(list(hf.list_daily_papers(date="2025-10-29", p=100))) == 0
    assert len(list(hf.list_daily_papers(date="2025-10-29", limit=10))) == 10

    # TestPaperApi.test_list_daily_papers_week
    week = 44
    papers = list(hf.list_daily_papers(week=f"2025-W{week}"))
    assert len(papers) > 0
    week_start = dt.datetime.fromisocalendar(2025, week - 1, 5).replace(tzinfo=dt.UTC)
    week_end = dt.datetime.fromisocalendar(2025, week, 7).replace(tzinfo=dt.UTC)
    assert week_start <= papers[0].submitted_at <= week_end
    assert week_start <= papers[-1].submitted_at <= week_end

    # TestPaperApi.test_list_daily_papers_month
    month = 10
    papers = list(hf.list_daily_papers(month=f"2025-{month}"))
    assert len(papers) > 0
    month_start = dt.datetime(2025, month, 1, tzinfo=dt.UTC) - dt.timedelta(days=1)
    month_end = dt.datetime(2025, month + 1, 1, tzinfo=dt.UTC) - dt.timedelta(days=1)
    assert month_start <= papers[0].submitted_at <= month_end
    assert month_start <= papers[-1].submitted_at <= month_end

    # TestPaperApi.test_daily_papers_submitter
    papers = list(hf.list_daily_papers(submitter="akhaliq"))
    assert len(papers) > 0
    assert papers[0].submitted_by.fullname == "AK"
    assert list(hf.list_daily_papers(submitter="nobody-here")) == []
