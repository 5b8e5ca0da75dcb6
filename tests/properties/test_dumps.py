"""Dump lines: the Kaggle arXiv JSONL (and its created/updated layout) and Hugging Face
daily_papers items and archive lines. Records written from generated papers parse back to those
papers, control characters and all; a broken record is reported by itself; any line, JSON or
not, is a record or a reason. Through the real import, every good record lands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.feed.models import Featured
from dailypapers.ingest import dumps, parsing
from dailypapers.ingest.records import clean_text
from dailypapers.papers.models import Paper
from tests.properties import DATABASE, PROPERTIES, rolled_back
from tests.properties.strategies import PAPER, Spec, specs

# Characters no text field may keep: they break the XML of the feeds (and NUL, PostgreSQL).
CONTROL = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if not chr(c).isspace())


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def kaggle(s: Spec, layout: str) -> dict[str, Any]:
    """The Kaggle snapshot's layout (versions with RFC 2822 dates) or the bulk one (created and
    updated, ISO), with the paper's values."""
    record: dict[str, Any] = {
        "id": s.ident.id,
        "submitter": s.names[0],
        "authors": ", ".join(s.names),
        "title": s.title,
        "comments": s.comments or None,
        "journal-ref": None,
        "doi": s.doi or None,
        "categories": " ".join(s.categories),
        "abstract": s.abstract,
    }
    if layout == "bulk":
        return {**record, "created": _iso(s.published), "updated": s.updated and _iso(s.updated)}
    dates = [s.published, *([s.updated] * (s.version - 1))]
    return {
        **record,
        "versions": [
            {"version": f"v{n}", "created": format_datetime(when, usegmt=True)}
            for n, when in enumerate(dates, start=1)
        ],
        "authors_parsed": [[last, first, ""] for first, last in s.authors],
    }


def kaggle_expected(s: Spec, layout: str) -> dict[str, object]:
    return {
        "arxiv_id": s.ident.id,
        "version": None if layout == "bulk" else s.version,
        "title": clean_text(s.title),
        "abstract": clean_text(s.abstract),
        "authors": s.names,
        "categories": s.categories,
        "primary_category": s.categories[0],
        "comments": clean_text(s.comments),
        "doi": s.doi,
        "published": s.published,
        "updated": s.updated,
    }


def hf_item(s: Spec, upvotes: int, comments: int) -> dict[str, Any]:
    paper = {
        "id": str(s.ident),
        "authors": [{"_id": "x", "name": n, "hidden": False} for n in s.names],
        "publishedAt": _iso(s.published),
        "submittedOnDailyAt": _iso(s.published + dt.timedelta(days=2)),
        "title": s.title,
        "summary": s.abstract,
        "upvotes": upvotes,
    }
    return {"paper": paper, "publishedAt": _iso(s.published), "numComments": comments}


def hf_expected(s: Spec, upvotes: int, comments: int) -> dict[str, object]:
    return {
        "arxiv_id": s.ident.id,
        "version": s.ident.version,
        "title": clean_text(s.title),
        "abstract": clean_text(s.abstract),
        "authors": s.names,
        "published": s.published,
        "feature_day": (s.published + dt.timedelta(days=2)).date(),
        "feature_upvotes": upvotes,
        "feature_comments": comments,
    }


# --- what can be wrong in a record --------------------------------------------------------------

# Values that make a Kaggle record unusable.
KAGGLE_BAD = st.sampled_from(
    [
        {"id": "2413.01234"},
        {"id": 240101234},
        {"id": None},
        {"id": "2401.01234v" + "9" * 5000},
        {"title": "  "},
        {"title": ["A", "list"]},
        {"categories": 5},
        {"categories": ["cs.LG", 1]},
        {"versions": ["v1"]},
        {"versions": [{"version": "v1", "created": "soon"}]},
        {"versions": [{"version": "v1", "created": "9999-12-31T23:59:59-01:00"}]},
        {"listing_dates": "2025-01-01"},
        {"authors": {"name": "x"}, "authors_parsed": None},
        {"doi": "d" * 300},
    ]
)


def _odd_label(record: dict[str, Any]) -> None:
    if "versions" in record:  # then the count of versions is the version
        record["versions"][-1]["version"] = "v²"


# Changes a source may make without losing the record: the rest says enough.
KAGGLE_HARMLESS = st.sampled_from(
    [
        lambda r: r.update(authors_parsed=[[1, "Ada"]]),  # then the authors string names them
        lambda r: r.update(authors_parsed="Lovelace, Ada"),
        lambda r: r.update(update_date="soon"),
        _odd_label,
    ]
)
# (where, field, value) that make a Hugging Face item unusable.
HF_BAD = st.sampled_from(
    [
        ("item", "paper", None),
        ("item", "paper", "2509.00001"),
        ("paper", "id", "not an id"),
        ("paper", "title", ""),
        ("paper", "authors", "A, B"),
        ("paper", "authors", [{"name": 5}]),
        ("paper", "upvotes", -1),
        ("paper", "upvotes", True),
        ("paper", "upvotes", "12"),
        ("paper", "upvotes", 2**40),
        ("item", "numComments", 2**63),
        ("paper", "submittedOnDailyAt", "soon"),
        ("paper", "publishedAt", "0001-01-01T00:00:00+01:00"),
    ]
)
Expected = dict[str, object] | None  # what a record should give; None: a reason to skip it


def _dirty(text: str, draw: st.DrawFn) -> str:
    """``text`` with control characters put between its characters."""
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(st.sampled_from(CONTROL), min_size=1, max_size=3)) + text[at:]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
# Lines that are not records: one line each (no newline), not blank (the reader skips those),
# not starting a JSON array (a file that is one is a saved API response) or gzip's magic number.
garbage = (st.binary(max_size=30) | _json_values.map(lambda v: json.dumps(v).encode())).filter(
    lambda line: (
        b"\n" not in line
        and line.strip()
        and not line.lstrip().startswith(b"[")
        and not line.startswith(b"\x1f\x8b")
    )
)


@st.composite
def kaggle_lines(draw: st.DrawFn) -> tuple[bytes, Expected]:
    """A line of an arXiv dump, and what it should give."""
    kind = draw(st.sampled_from(["good", "dirty", "harmless", "bad", "garbage"]))
    if kind == "garbage":
        return draw(garbage), None
    spec, layout = draw(specs), draw(st.sampled_from(["kaggle", "bulk"]))
    record = kaggle(spec, layout)
    if kind == "dirty":  # and the authors from the string, where the controls are
        for name in ("title", "abstract", "comments", "categories", "authors"):
            record[name] = _dirty(record[name] or "", draw)
        record.pop("authors_parsed", None)
    elif kind == "harmless":
        draw(KAGGLE_HARMLESS)(record)
    elif kind == "bad":
        record.update(draw(KAGGLE_BAD))
    return orjson.dumps(record), None if kind == "bad" else kaggle_expected(spec, layout)


counts = st.integers(0, 2**31 - 1)


@st.composite
def hf_lines(draw: st.DrawFn) -> tuple[bytes, list[Expected]]:
    """A line of Hugging Face data (a bare item, or an archive line of several), and what each
    item in it should give."""
    kind = draw(st.sampled_from(["item", "archive", "garbage"]))
    if kind == "garbage":
        return draw(garbage), [None]
    items, wanted = [], []
    for _ in range(1 if kind == "item" else draw(st.integers(0, 3))):
        spec, upvotes, comments = draw(specs), draw(counts), draw(counts)
        item, expect = hf_item(spec, upvotes, comments), hf_expected(spec, upvotes, comments)
        if draw(st.booleans()):
            where, name, value = draw(HF_BAD)
            (item if where == "item" else item["paper"])[name] = value
            expect = None
        elif kind == "archive":  # the line's date is the featured day
            expect = {**expect, "feature_day": ARCHIVE_DAY}
        items.append(item)
        wanted.append(expect)
    if kind == "item":
        return orjson.dumps(items[0]), wanted
    return orjson.dumps({"date": str(ARCHIVE_DAY), "papers": items}), wanted


ARCHIVE_DAY = dt.date(2025, 9, 8)


# --- parsing (no database) ----------------------------------------------------------------------


def _values(parsed: parsing.Parsed) -> list[dict[str, object]]:
    """Each record's fields, and its featuring's as ``feature_...``."""
    found = []
    for paper, feature in parsed.items:
        values = dataclasses.asdict(paper)
        if feature is not None:
            values |= {f"feature_{k}": v for k, v in dataclasses.asdict(feature).items()}
        found.append(values)
    return found


def _check(parsed: parsing.Parsed, wanted: list[Expected]) -> None:
    """Every good record as expected, every other one a reason, no control character kept."""
    good = [e for e in wanted if e is not None]
    assert parsed.read == len(wanted)
    assert len(parsed.items) == len(good), parsed.errors
    found = _values(parsed)
    assert [{k: v[k] for k in e} for v, e in zip(found, good, strict=True)] == good
    assert len(parsed.errors) == len(wanted) - len(good) and all(r for _, r in parsed.errors)
    for values in found:
        texts = [v for v in values.values() if isinstance(v, str)]
        texts += [*values["authors"], *values["categories"]]  # type: ignore[misc]
        assert not any(set(t) & set(CONTROL) for t in texts), texts


def _located(lines: list[bytes]) -> list[tuple[str, bytes]]:
    return [(f"dump.jsonl:{n}", line) for n, line in enumerate(lines, start=1)]


def _with(line: tuple[bytes, Expected], **changes: object) -> tuple[bytes, Expected]:
    """A Kaggle line with some values changed that must not change what it gives."""
    return orjson.dumps(orjson.loads(line[0]) | changes), line[1]


GOOD_KAGGLE = (orjson.dumps(kaggle(PAPER, "kaggle")), kaggle_expected(PAPER, "kaggle"))
NUL_TITLE = _with(GOOD_KAGGLE, title="A\x00 ti\x01tle")


@PROPERTIES
@given(st.lists(kaggle_lines(), max_size=6))
@example([NUL_TITLE])  # control characters were kept: the feeds of that paper were not XML
@example([_with(GOOD_KAGGLE, categories="cs.LG\x00")])
@example([_with(GOOD_KAGGLE, authors_parsed=[[1, "Ada"]])])  # a TypeError from " ".join
def test_arxiv_lines_parse_back_and_each_bad_one_alone_is_a_reason(
    lines: list[tuple[bytes, Expected]],
) -> None:
    _check(
        parsing.parse_chunk("arxiv", _located([line for line, _ in lines])), [e for _, e in lines]
    )


@PROPERTIES
@given(st.lists(hf_lines(), max_size=4))
@example([(orjson.dumps(hf_item(PAPER, 2**40, 0)), [None])])  # no count column holds it
@example([(orjson.dumps(hf_item(PAPER, 0, 2**63)), [None])])
def test_hf_lines_parse_back_and_each_bad_item_alone_is_a_reason(
    lines: list[tuple[bytes, list[Expected]]],
) -> None:
    parsed = parsing.parse_chunk("hf-daily", _located([line for line, _ in lines]))
    _check(parsed, [e for _, wanted in lines for e in wanted])


# --- importing (the database) -------------------------------------------------------------------


def _write(path: Path, lines: list[bytes], gz: bool) -> Path:
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.django_db
@DATABASE
@given(st.lists(kaggle_lines(), max_size=6), st.booleans())
@example([NUL_TITLE], False)  # PostgreSQL refused the NUL, and with it the whole batch
@example([(b"[1,", None), GOOD_KAGGLE], False)  # a broken first line "[" lost the whole file
def test_every_good_arxiv_record_lands_and_each_bad_one_is_reported(
    tmp_path: Path, lines: list[tuple[bytes, Expected]], gz: bool
) -> None:
    path = _write(tmp_path / "dump.jsonl", [line for line, _ in lines], gz)
    good = {e["arxiv_id"] for _, e in lines if e is not None}
    with rolled_back():
        report = dumps.import_dumps("arxiv", [path], workers=1)
        assert set(Paper.objects.values_list("arxiv_id", flat=True)) == good
    assert (report.read, report.created) == (len(lines), len(good))
    assert report.skipped == sum(e is None for _, e in lines)


@pytest.mark.django_db
@DATABASE
@given(st.lists(hf_lines(), max_size=4), st.booleans())
@example(  # two captures of a day in one batch: the later, lower count won
    [(orjson.dumps(hf_item(PAPER, n, 0)), [hf_expected(PAPER, n, 0)]) for n in (10, 5)], False
)
def test_every_good_hf_item_lands_featured_and_each_bad_one_is_reported(
    tmp_path: Path, lines: list[tuple[bytes, list[Expected]]], as_array: bool
) -> None:
    wanted = [e for _, items in lines for e in items]
    if as_array:  # a saved API response: one JSON list of bare items
        lines = [(line, w) for line, w in lines if line.startswith(b'{"paper"')]
        wanted = [e for _, items in lines for e in items]
        path = tmp_path / "daily_papers.json"
        path.write_bytes(b"[" + b",".join(line for line, _ in lines) + b"]")
    else:
        path = _write(tmp_path / "daily.jsonl", [line for line, _ in lines], gz=False)
    good = [e for e in wanted if e is not None]
    upvotes: dict[tuple[object, object], int] = {}
    for e in good:  # a paper featured twice on a day keeps the higher count
        key = (e["arxiv_id"], e["feature_day"])
        upvotes[key] = max(upvotes.get(key, 0), e["feature_upvotes"])  # type: ignore[call-overload]
    with rolled_back():
        report = dumps.import_dumps("hf-daily", [path], workers=1)
        featured = Featured.objects.values_list("paper__arxiv_id", "day", "imported_upvotes")
        assert {(i, d): n for i, d, n in featured} == upvotes
    assert (report.read, report.skipped) == (len(wanted), len(wanted) - len(good))


@pytest.mark.django_db
def test_a_gzip_dump_cut_off_keeps_the_records_before_the_cut_and_says_so(tmp_path: Path) -> None:
    lines = [orjson.dumps(kaggle(PAPER, "kaggle") | {"id": f"2401.0000{n}"}) for n in range(5)]
    whole = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) - 12])  # the trailer and the last few bytes lost
    report = dumps.import_dumps("arxiv", [path], workers=1)
    assert 0 < report.created == Paper.objects.count() < len(lines)
    [(where, reason)] = report.errors
    assert (where, reason.split(" after ")[0]) == (str(path), "unreadable gzip")
