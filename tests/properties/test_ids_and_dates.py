"""Identifiers and dates from anywhere: arXiv ids and links, the period texts of the day, week
and month pages, the dates in source records, and the API's cursors."""

from __future__ import annotations

import base64
import datetime as dt
import re
from email.utils import format_datetime

from hypothesis import example, given
from hypothesis import strategies as st
from ninja.errors import HttpError

from dailypapers.api import cursors
from dailypapers.feed import periods
from dailypapers.ingest.records import RecordError, parse_datetime
from dailypapers.papers import arxiv_id
from dailypapers.papers.models import Paper
from tests.properties import PROPERTIES
from tests.properties.strategies import arxiv_ids, datetimes

# --- arXiv ids -------------------------------------------------------------------------------

CANONICAL = re.compile(r"\d{4}\.\d{4,5}|[a-z-]+/\d{7}", re.ASCII)


def _forms(ident: arxiv_id.ArxivId) -> list[str]:
    return [str(ident), f"arXiv:{ident}", ident.abs_url, f"{ident.pdf_url}.pdf"]


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A written form of a valid id with one character deleted, replaced or inserted."""
    form = draw(arxiv_ids.map(_forms).flatmap(st.sampled_from))
    at = draw(st.integers(0, len(form)))
    char = draw(st.characters(codec="utf-8") | st.sampled_from("0123456789v./:-"))
    edit = draw(st.sampled_from(["delete", "replace", "insert"]))
    if edit == "insert":
        return form[:at] + char + form[at:]
    return form[:at] + ("" if edit == "delete" else char) + form[at + 1 :]


@PROPERTIES
@given(st.text(max_size=60) | near_misses())
@example("２４０１.０１２３４")  # full-width digits were accepted, and kept in the corpus key
@example("hep-th/٩٩٠١٠٠١")  # so were Arabic-Indic ones
@example("2401.01234v99999999999")  # a version no integer column holds broke the whole batch
@example("2401.01234v" + "9" * 5000)  # int() refuses so many digits with a bare ValueError
def test_any_text_is_a_canonical_id_or_invalid(text: str) -> None:
    try:
        parsed = arxiv_id.parse(text)
    except arxiv_id.InvalidArxivId as exc:
        assert str(exc)
        return
    assert CANONICAL.fullmatch(parsed.id), parsed
    assert parsed.version is None or 1 <= parsed.version <= arxiv_id.MAX_VERSION
    assert all(arxiv_id.parse(form) == parsed for form in _forms(parsed))


@PROPERTIES
@given(st.none() | st.booleans() | st.integers() | st.floats() | st.lists(st.text(max_size=5)))
def test_a_non_text_id_is_invalid(value: object) -> None:
    try:
        arxiv_id.parse(value)  # type: ignore[arg-type]  # what a JSON source may hold
    except arxiv_id.InvalidArxivId as exc:
        assert "expected text" in str(exc)
    else:
        raise AssertionError(f"{value!r} parsed")


# --- periods (/papers/date/..., /week/..., /month/...; the API's date, week and month) ---------

KINDS = st.sampled_from(["date", "week", "month"])
period_texts = st.one_of(
    st.text(max_size=12),
    # the forms with digits of any script, and ASCII numbers out of range
    st.from_regex(r"\A\d{4}-(\d{2}|\d{2}-\d{2}|W\d{2})\Z"),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)
    ),
    st.builds("{:04d}-W{:02d}".format, st.integers(0, 9999), st.integers(0, 99)),
    st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99)),
)


@PROPERTIES
@given(KINDS, period_texts)
@example("date", "٢٠٢٥-09-08")  # Arabic-Indic digits: a page at an address that is not its own
def test_any_period_text_is_its_own_slug_or_bad(kind: str, text: str) -> None:
    try:
        period = periods.parse(kind, text)
    except periods.BadPeriod as exc:
        assert "is not a valid" in str(exc) and str(periods.MIN_YEAR) in str(exc)
        return
    assert (period.kind, period.slug) == (kind, text)
    assert period.start <= period.end and period.containing(kind) == period


@PROPERTIES
@given(KINDS, st.dates(dt.date(periods.MIN_YEAR, 1, 1), dt.date(periods.MAX_YEAR, 12, 31)))
def test_a_period_parses_from_its_slug_and_its_neighbours_touch_it(kind: str, day: dt.date) -> None:
    period = periods.day(day).containing(kind)
    assert periods.parse(kind, period.slug) == period
    before, after = period.shifted(-1), period.shifted(1)
    assert before.end + dt.timedelta(days=1) == period.start
    assert period.end + dt.timedelta(days=1) == after.start
    assert after.shifted(-1) == period


# --- dates in source records --------------------------------------------------------------------

date_texts = st.one_of(
    st.text(max_size=40),
    st.from_regex(
        r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?([+-]\d{2}:\d{2}|Z)?\Z"
    ),
    st.from_regex(
        r"\A[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} ([A-Z]{3}|[+-]\d{4})\Z"
    ),
)


@PROPERTIES
@given(date_texts | st.integers() | st.lists(st.integers(), max_size=2))
@example("9999-12-31T23:59:59-01:00")  # past the last day Python has once in UTC
@example("0001-01-01T00:00:00+01:00")  # before the first
def test_any_date_value_is_a_utc_datetime_or_a_record_error(value: object) -> None:
    try:
        when = parse_datetime(value, "created")
    except RecordError as exc:
        assert str(exc).startswith("created: ")
        return
    assert when is None or when.utcoffset() == dt.timedelta(0)


@PROPERTIES
@given(datetimes, st.integers(-14 * 60, 14 * 60))
def test_every_written_form_of_a_date_parses_back(when: dt.datetime, offset_minutes: int) -> None:
    local = when.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes)))
    written = [
        when.isoformat(),
        when.isoformat().replace("+00:00", "Z"),
        local.isoformat(),
        format_datetime(when, usegmt=True),  # Kaggle's versions, RSS
        format_datetime(local),
    ]
    assert [parse_datetime(w, "created") for w in written] == [when] * len(written)


# --- the API's cursors --------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


cursor_texts = st.text(max_size=40) | st.builds(
    lambda when, pk: _b64(f"{when}|{pk}"),
    date_texts | st.just(""),
    st.text(max_size=25) | st.integers(),
)


@PROPERTIES
@given(cursor_texts)
@example(_b64("|99999999999999999999"))  # a primary key no database holds
def test_any_cursor_is_a_position_or_a_400(cursor: str) -> None:
    try:
        decoded = cursors.decode(cursor)
    except HttpError as exc:
        assert exc.status_code == 400 and "cursor" in str(exc)
        return
    if decoded is not None:
        published, pk = decoded
        assert published is None or published.utcoffset() == dt.timedelta(0)
        assert 0 <= pk <= cursors.MAX_PK


@PROPERTIES
@given(st.none() | datetimes, st.integers(1, cursors.MAX_PK))
def test_a_cursor_names_the_paper_it_was_made_from(published: dt.datetime | None, pk: int) -> None:
    assert cursors.decode(cursors.encode(Paper(pk=pk, published=published))) == (published, pk)
