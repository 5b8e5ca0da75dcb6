"""Imports of the real dumps in ../shared/data (skipped, with a message, where it is absent)."""

import gzip
import json
import re
from urllib.parse import quote

import pytest

from dailypapers.feed.models import Featured
from dailypapers.papers.models import Paper
from tests.conftest import import_files, shared_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_kaggle_snapshot_sample_imports_completely():
    path = shared_data("arxiv-kaggle-snapshot-sample", "arxiv-metadata-oai-snapshot.head200.jsonl")
    out, err = import_files("arxiv", path)
    assert "read 200, created 200, updated 0, unchanged 0, skipped 0" in out, err
    first = Paper.objects.get(arxiv_id="0704.0001")
    assert first.authors[0] == "C. Balázs"
    assert first.version == 2 and first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )


def test_first_part_of_each_arxiv_dump_imports_without_skips():
    paths = [
        shared_data("arxiv-cs-meta-1990-2019", "part-000.jsonl.gz"),
        shared_data("arxiv-daily-listings-2025-2026", "part-014.jsonl.gz"),
    ]
    out, err = import_files("arxiv", *paths)
    assert "skipped 0" in out, err
    assert Paper.objects.count() == 7770 + 740
    assert Paper.objects.get(arxiv_id="cs/9301111").authors == ["Donald E. Knuth"]


def test_hf_examples_in_both_schemas_import():
    old = shared_data("hf-daily-papers", "examples", "daily_papers_2024-05-27.json")
    new = shared_data("hf-daily-papers", "examples", "daily_papers_2026-08-20.json")
    out, err = import_files("hf-daily", old, new)
    expected = len(json.loads(old.read_text())) + len(json.loads(new.read_text()))
    assert f"read {expected}," in out and "skipped 0" in out, err
    assert Featured.objects.count() == expected


def test_day_page_shows_that_days_hf_papers_sorted_by_votes(client):
    """The issue's acceptance check, on the real archive that holds 2025-09-08."""
    path = shared_data("hf-daily-papers", "daily-01.jsonl.gz")
    out, err = import_files("hf-daily", path)
    assert "skipped 0" in out, err
    with gzip.open(path) as f:
        day = next(json.loads(line) for line in f if b'"2025-09-08"' in line[:30])
    upvotes = {i["paper"]["id"]: i["paper"]["upvotes"] for i in day["papers"]}

    html = client.get("/papers/date/2025-09-08").content.decode()

    shown = list(dict.fromkeys(re.findall(r'<h2 class="card-title.*?href="/papers/([^"]+)"', html)))
    assert sorted(shown) == sorted(upvotes)
    votes = [upvotes[i] for i in shown]
    assert votes == sorted(votes, reverse=True)
    assert f"{len(upvotes)} papers" in html


HF_EXTRAS = ("ai_summary", "ai_keywords", "githubStars", "githubRepo", "projectPage")


def test_reimporting_real_days_fills_in_hugging_faces_fields_and_cards_show_them(
    client, write_jsonl
):
    with gzip.open(shared_data("hf-daily-papers", "daily-01.jsonl.gz")) as f:
        days = (json.loads(line) for line in f)
        day = next(d for d in days if any("organization" in i["paper"] for i in d["papers"]))
    items = day["papers"]
    bare = [
        {**item, "organization": None, "paper": {
            k: v for k, v in item["paper"].items() if k not in (*HF_EXTRAS, "organization")
        }}
        for item in items
    ]  # fmt: skip
    import_files("hf-daily", write_jsonl("bare.jsonl", [{**day, "papers": bare}]))
    full = write_jsonl("full.jsonl", [day])

    out, err = import_files("hf-daily", full)

    richer = [i for i in items if any(k in i["paper"] for k in (*HF_EXTRAS, "organization"))]
    assert f"updated {len(richer)}," in out, err
    papers = {p.arxiv_id: p for p in Paper.objects.all()}
    for item in items:
        theirs, mine = item["paper"], papers[item["paper"]["id"]]
        assert mine.ai_summary == " ".join(theirs.get("ai_summary", "").split())
        assert mine.github_stars == theirs.get("githubStars")
        assert mine.code_url == theirs.get("githubRepo", "")
        assert mine.organization == (theirs.get("organization") or {}).get("name", "")
    out, _ = import_files("hf-daily", full)
    assert f"updated 0, unchanged {len(items)}," in out  # an unchanged file writes nothing

    html = client.get(f"/papers/date/{day['date']}").content.decode()
    summaries = [i["paper"]["ai_summary"] for i in items if i["paper"].get("ai_summary")]
    assert html.count("AI summary (Hugging Face)") == len(summaries)
    org = next(i["paper"]["organization"] for i in items if i["paper"].get("organization"))
    assert org["fullname"] in html
    keyword = next(k for i in items for k in i["paper"].get("ai_keywords", []))
    assert f'href="/search?q={quote(keyword)}"' in html
