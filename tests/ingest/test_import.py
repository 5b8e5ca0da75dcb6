"""Importing dumps end to end into the real database: what lands, what is skipped and why."""

import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError

from dailypapers.feed.models import Featured
from dailypapers.ingest import dumps
from dailypapers.papers.models import Paper
from tests.conftest import import_files

pytestmark = pytest.mark.django_db(transaction=True)
UTC = dt.UTC


def kaggle(ident="2401.01234", versions=("v1",), **extra):
    """A record in the Kaggle arxiv-metadata-oai-snapshot layout."""
    created = [f"Mon, {i + 1} Jan 2024 10:00:00 GMT" for i in range(len(versions))]
    return {
        "id": ident,
        "submitter": "Ada Lovelace",
        "authors": "A. Lovelace, C. Babbage",
        "title": "On the\n  Analytical Engine",
        "comments": "10 pages",
        "journal-ref": None,
        "doi": "10.1000/xyz",
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "abstract": "  We describe\nan engine. ",
        "versions": [{"version": v, "created": c} for v, c in zip(versions, created, strict=True)],
        "update_date": "2024-01-02",
        "authors_parsed": [["Lovelace", "Ada", ""], ["Babbage", "Charles", ""]],
        **extra,
    }


def test_kaggle_record_lands_with_every_field(write_jsonl):
    path = write_jsonl("snap.json", [kaggle(versions=("v1", "v2"))])
    out, err = import_files("arxiv", path)

    assert "read 1, created 1, updated 0, unchanged 0, skipped 0" in out
    assert err == ""
    p = Paper.objects.get(arxiv_id="2401.01234")
    assert p.title == "On the Analytical Engine"
    assert p.abstract == "We describe an engine."
    assert p.authors == ["Ada Lovelace", "Charles Babbage"]
    assert p.categories == ["cs.LG", "stat.ML"]
    assert p.primary_category == "cs.LG"
    assert p.version == 2
    assert p.published == dt.datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert p.updated == dt.datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert (p.doi, p.comments, p.license) == (
        "10.1000/xyz",
        "10 pages",
        "http://creativecommons.org/licenses/by/4.0/",
    )


def test_reimport_changes_nothing(write_jsonl):
    path = write_jsonl("snap.json.gz", [kaggle(), kaggle("2401.00002")], gz=True)
    import_files("arxiv", path)
    before = list(Paper.objects.order_by("arxiv_id").values())

    out, _ = import_files("arxiv", path)

    assert "read 2, created 0, updated 0, unchanged 2, skipped 0" in out
    assert list(Paper.objects.order_by("arxiv_id").values()) == before


def test_newer_version_updates_the_row_and_an_older_one_does_not(write_jsonl):
    import_files("arxiv", write_jsonl("v1.json", [kaggle(title="Old title")]))
    out, _ = import_files("arxiv", write_jsonl("v3.json", [kaggle(versions=("v1", "v2", "v3"))]))
    assert "updated 1" in out
    p = Paper.objects.get()
    assert (p.version, p.title) == (3, "On the Analytical Engine")

    out, _ = import_files("arxiv", write_jsonl("v1-again.json", [kaggle(title="Old title")]))
    assert "updated 0, unchanged 1" in out
    assert Paper.objects.get().title == "On the Analytical Engine"


def test_a_source_without_versions_only_fills_missing_fields(write_jsonl):
    listing = {
        "id": "2401.01234",
        "title": "A different title",
        "authors": ["Someone Else"],
        "categories": ["cs.CV"],
        "comment": None,
        "abstract": "Other abstract.",
        "listing_dates": ["2024-01-05", "2024-01-03"],
    }
    import_files("arxiv", write_jsonl("snap.json", [kaggle()]))
    import_files("arxiv", write_jsonl("listing.jsonl", [listing]))

    p = Paper.objects.get()
    assert p.title == "On the Analytical Engine"  # kept: the listing is not newer
    assert p.announced == dt.date(2024, 1, 3)  # filled in: the row had none, earliest wins


def test_same_id_twice_in_one_batch_is_one_paper(write_jsonl):
    path = write_jsonl("dup.json", [kaggle(), kaggle(versions=("v1", "v2"))])
    out, _ = import_files("arxiv", path)
    assert "read 2, created 1" in out
    assert Paper.objects.get().version == 2


def test_malformed_lines_are_reported_and_skipped_while_the_rest_lands(write_jsonl):
    path = write_jsonl(
        "mixed.jsonl",
        [
            kaggle("2401.00001"),
            "{not json",
            kaggle("2401.00002", title="   "),
            kaggle("not-an-id"),
            {"title": "no id"},
            kaggle("2401.00003", versions=("v1",), doi="d" * 300),
            "[1, 2]",
            kaggle("2401.00004", update_date="soon", versions=()),
            {**kaggle("2401.00005"), "versions": [{"version": "v1", "created": "when?"}]},
            kaggle("2401.00006"),
        ],
    )
    out, err = import_files("arxiv", path)

    assert "read 10, created 3, updated 0, unchanged 0, skipped 7" in out
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == [
        "2401.00001",
        "2401.00004",  # a bad update_date is not a field we use; nothing lost
        "2401.00006",
    ]
    lines = err.splitlines()
    assert f"{path}:2: invalid JSON" in lines[0]
    assert f"{path}:3: missing title" in lines[1]
    assert f"{path}:4: not an arXiv id: 'not-an-id'" in lines[2]
    assert f"{path}:5: missing arXiv id" in lines[3]
    assert f"{path}:6: doi longer than 255 characters" in lines[4]
    assert f"{path}:7: expected a JSON object, got list" in lines[5]
    assert f"{path}:9: versions[0].created: not a date: 'when?'" in lines[6]


def test_summary_groups_skip_reasons(write_jsonl):
    path = write_jsonl("bad.jsonl", ["{", "{", kaggle()])
    _, err = import_files("arxiv", path)
    assert "skipped, by reason:" in err
    assert re.search(r"^\s+2\s+invalid JSON", err, re.MULTILINE)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"no such file: .*nope\.json"):
        import_files("arxiv", tmp_path / "nope.json")


def test_workers_and_inline_parsing_give_the_same_result(write_jsonl):
    records = [kaggle(f"2401.{i:05d}") for i in range(1, 4500)] + ["oops"]
    path = write_jsonl("many.jsonl.gz", records, gz=True)

    report = dumps.import_dumps("arxiv", [path], workers=2)

    assert (report.read, report.created, report.skipped) == (4500, 4499, 1)
    assert report.errors == [(f"{path}:4500", report.errors[0][1])]
    assert Paper.objects.count() == 4499


# --- Hugging Face daily_papers ----------------------------------------------------------------


def hf_item(ident="2509.04664", upvotes=27, comments=1, submitted="2025-09-08T01:02:03.000Z"):
    paper = {
        "id": ident,
        "authors": [{"_id": "x", "name": "Adam Tauman Kalai", "hidden": False}, {"name": "Ofir"}],
        "publishedAt": "2025-09-04T17:59:40.000Z",
        "title": "Why Language Models\n  Hallucinate",
        "summary": "Like students facing hard exam questions, $x^2$.",
        "upvotes": upvotes,
        "githubRepo": "https://github.com/example/repo",
        "projectPage": "javascript:alert(1)",
    }
    if submitted:
        paper["submittedOnDailyAt"] = submitted
    return {"paper": paper, "publishedAt": "2025-09-08T03:50:58.348Z", "numComments": comments}


def test_hf_archive_line_features_papers_on_its_date(write_jsonl):
    line = {"date": "2025-09-09", "papers": [hf_item(), hf_item("2509.00001", upvotes=3)]}
    out, err = import_files("hf-daily", write_jsonl("daily.jsonl.gz", [line], gz=True))

    assert "read 2, created 2, updated 0, unchanged 0, skipped 0, featured 2" in out
    assert err == ""
    f = Featured.objects.get(paper__arxiv_id="2509.04664")
    assert f.day == dt.date(2025, 9, 9)  # the archive line's date wins
    assert (f.imported_upvotes, f.imported_comments, f.source) == (27, 1, "upstream")
    p = f.paper
    assert p.title == "Why Language Models Hallucinate"
    assert p.authors == ["Adam Tauman Kalai", "Ofir"]
    assert p.published == dt.datetime(2025, 9, 4, 17, 59, 40, tzinfo=UTC)  # the arXiv date
    assert p.code_url == "https://github.com/example/repo"
    assert p.project_url == ""  # not an http(s) link


def test_hf_api_response_featured_day_comes_from_submitted_on_daily(tmp_path):
    path = tmp_path / "daily_papers.json"
    items = [hf_item(), hf_item("2509.00002", submitted=None)]
    path.write_text(json.dumps(items, indent=2))

    out, _ = import_files("hf-daily", path)

    assert "created 2" in out
    days = dict(Featured.objects.values_list("paper__arxiv_id", "day"))
    assert days == {
        "2509.04664": dt.date(2025, 9, 8),  # paper.submittedOnDailyAt
        "2509.00002": dt.date(2025, 9, 8),  # else the item's publishedAt
    }


def test_hf_reimport_is_idempotent_and_counts_only_grow(write_jsonl):
    first = write_jsonl("a.jsonl", [{"date": "2025-09-08", "papers": [hf_item(upvotes=10)]}])
    later = write_jsonl("b.jsonl", [{"date": "2025-09-08", "papers": [hf_item(upvotes=30)]}])
    import_files("hf-daily", first)
    out, _ = import_files("hf-daily", first)
    assert "unchanged 1, skipped 0" in out and "featured" not in out

    import_files("hf-daily", later)
    import_files("hf-daily", first)  # an older capture does not lower the count
    assert Featured.objects.get().imported_upvotes == 30


def test_hf_bad_items_are_skipped_with_their_location(write_jsonl):
    bad_paper = hf_item("2509.00003")
    bad_paper["paper"]["upvotes"] = -4
    line = {"date": "2025-09-08", "papers": [hf_item(), {"nope": 1}, bad_paper]}
    path = write_jsonl("d.jsonl", [line, {"date": "someday", "papers": []}])

    out, err = import_files("hf-daily", path)

    assert "read 4, created 1, updated 0, unchanged 0, skipped 3, featured 1" in out
    assert f"{path}:1 item 1: missing 'paper' object" in err
    assert f"{path}:1 item 2: paper.upvotes: expected a count, got -4" in err
    assert f"{path}:2: date: not a date: 'someday'" in err


HF_EXTRAS = {
    "ai_summary": "Models guess  when\nunsure.",
    "ai_keywords": ["hallucination", "evaluation", "hallucination"],
    "githubStars": 42,
    "organization": {"_id": "x", "name": "openai", "fullname": "OpenAI", "avatar": "x"},
}


def test_hf_extras_land_and_a_malformed_one_is_dropped_while_the_item_lands(write_jsonl):
    good = hf_item()
    good["paper"].update(HF_EXTRAS)
    bad = hf_item("2509.00004")
    bad["paper"].update(ai_summary=5, ai_keywords="x", githubStars="many", organization="acme")
    on_item = hf_item("2509.00005")  # some captures put the organisation on the item only
    on_item["organization"] = {"name": "acme", "fullname": "Acme Labs"}
    path = write_jsonl("x.jsonl", [{"date": "2025-09-08", "papers": [good, bad, on_item]}])

    out, err = import_files("hf-daily", path)

    assert "created 3, updated 0, unchanged 0, skipped 0" in out and err == ""
    p = Paper.objects.get(arxiv_id="2509.04664")
    assert p.ai_summary == "Models guess when unsure."
    assert p.ai_keywords == ["hallucination", "evaluation"]
    assert (p.github_stars, p.organization, p.organization_fullname) == (42, "openai", "OpenAI")
    dropped = Paper.objects.get(arxiv_id="2509.00004")
    assert (dropped.ai_summary, dropped.ai_keywords, dropped.github_stars) == ("", [], None)
    assert dropped.organization == "" and dropped.title == "Why Language Models Hallucinate"
    org = Paper.objects.values_list("organization", "organization_fullname")
    assert org.get(arxiv_id="2509.00005") == ("acme", "Acme Labs")


def test_hf_reimport_fills_in_extras_at_the_same_version_and_arxiv_keeps_them(write_jsonl):
    richer = hf_item()
    richer["paper"].update(HF_EXTRAS)
    plain = write_jsonl("old.jsonl", [{"date": "2025-09-08", "papers": [hf_item()]}])
    rich = write_jsonl("new.jsonl", [{"date": "2025-09-08", "papers": [richer]}])
    import_files("hf-daily", plain)
    before = Paper.objects.get().modified_at

    out, _ = import_files("hf-daily", rich)
    assert "updated 1" in out
    p = Paper.objects.get()
    assert (p.ai_summary, p.github_stars) == ("Models guess when unsure.", 42)
    assert p.modified_at > before  # cached cards are keyed by it

    out, _ = import_files("hf-daily", rich)
    assert "updated 0, unchanged 1" in out
    assert Paper.objects.get().modified_at == p.modified_at  # nothing written
    out, _ = import_files("hf-daily", plain)  # a capture without them does not blank them
    assert "unchanged 1" in out

    stars = dict(richer, paper={**richer["paper"], "githubStars": 50})
    out, _ = import_files("hf-daily", write_jsonl("s.jsonl", [stars]))
    assert "updated 1" in out and Paper.objects.get().github_stars == 50

    arxiv = kaggle("2509.04664", versions=("v1", "v2"), title="Why Language Models Hallucinate")
    out, _ = import_files("arxiv", write_jsonl("arxiv.jsonl", [arxiv]))
    assert "updated 1" in out
    p = Paper.objects.get()
    assert p.version == 2 and p.ai_summary == "Models guess when unsure."
    assert (p.code_url, p.github_stars, p.organization) == (
        richer["paper"]["githubRepo"],
        50,
        "openai",
    )
