"""arXiv's XML: OAI-PMH (arXiv and arXivRaw), the API's Atom, the announcement RSS and its Atom
variant. A page written from generated papers parses back to those papers; each broken record
among them is reported by itself while the rest are kept; any document, however broken, gives
a page that accounts for every record, or an XmlError, and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.ingest import arxiv_atom, oai, rss, store
from dailypapers.ingest.arxiv_atom import XmlError
from dailypapers.ingest.records import RecordError, clean_id, clean_text, parse_datetime
from dailypapers.papers import arxiv_id
from dailypapers.papers.models import Paper
from tests.properties import DATABASE, PROPERTIES, rolled_back
from tests.properties.strategies import PAPER, XML_CHARS, Spec, arxiv_ids, specs

# --- writing records as each format does ------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A paper to write, with some of its values replaced by raw text (``overrides``)."""

    spec: Spec
    overrides: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, good: str) -> str:
        return escape(self.overrides.get(name, good))

    def id(self, versioned: bool) -> str:
        """The id as written: with the version where the format always writes one."""
        s = self.spec
        return self.value("id", f"{s.ident.id}v{s.version}" if versioned else s.ident.id)

    @property
    def title(self) -> str:
        return self.value("title", self.spec.title)


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _oai_header(ident: str, status: str = "") -> str:
    return (
        f"<header{status}><identifier>oai:arXiv.org:{ident}</identifier>"
        "<datestamp>2025-09-08</datestamp></header>"
    )


def oai_arxiv(w: Written) -> str:
    s = w.spec
    authors = "".join(
        f"<author><keyname>{escape(last)}</keyname><forenames>{escape(first)}</forenames></author>"
        for first, last in s.authors
    )
    updated = f"<updated>{s.updated.date()}</updated>" if s.updated else ""
    return f"""<record>{_oai_header(w.id(False))}<metadata>
      <arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{w.id(False)}</id>
        <created>{w.value("date", str(s.published.date()))}</created>{updated}
        <authors>{authors}</authors><title>{w.title}</title>
        <categories>{" ".join(s.categories)}</categories><comments>{escape(s.comments)}</comments>
        <doi>{s.doi}</doi><abstract>{escape(s.abstract)}</abstract></arXiv></metadata></record>"""


def oai_raw(w: Written) -> str:
    s = w.spec
    dates = [s.published, *([s.updated] * (s.version - 1))]
    versions = "".join(
        f'<version version="{w.value("version", f"v{n}")}"><date>'
        f"{w.value('date', format_datetime(when, usegmt=True))}</date></version>"
        for n, when in enumerate(dates, start=1)
        if when is not None
    )
    return f"""<record>{_oai_header(w.id(False))}<metadata>
      <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{w.id(False)}</id>{versions}
        <title>{w.title}</title><authors>{escape(", ".join(s.names))}</authors>
        <categories>{" ".join(s.categories)}</categories><comments>{escape(s.comments)}</comments>
        <doi>{s.doi}</doi><abstract>{escape(s.abstract)}</abstract></arXivRaw></metadata></record>"""


def api_entry(w: Written) -> str:
    s = w.spec
    return f"""<entry><id>http://arxiv.org/abs/{w.id(True)}</id>
      <updated>{_iso(s.updated or s.published)}</updated>
      <published>{w.value("date", _iso(s.published))}</published>
      <title>{w.title}</title><summary>{escape(s.abstract)}</summary>
      {"".join(f"<author><name>{escape(n)}</name></author>" for n in s.names)}
      <arxiv:comment>{escape(s.comments)}</arxiv:comment><arxiv:doi>{s.doi}</arxiv:doi>
      <arxiv:primary_category term={quoteattr(s.categories[0])}/>
      {"".join(f"<category term={quoteattr(c)}/>" for c in s.categories)}</entry>"""


def _announcement(w: Written) -> tuple[str, str]:
    """The description (also the Atom variant's summary) and the shared extension elements."""
    s = w.spec
    description = f"arXiv:{w.id(True)} Announce Type: new \nAbstract: {escape(s.abstract)}"
    extensions = (
        f"<arxiv:announce_type>new</arxiv:announce_type><arxiv:DOI>{s.doi}</arxiv:DOI>"
        f"<dc:creator>{escape(', '.join(s.names))}</dc:creator>"
    )
    return description, extensions


def rss_item(w: Written) -> str:
    s = w.spec
    description, extensions = _announcement(w)
    return f"""<item><title>{w.title}</title><link>https://arxiv.org/abs/{w.id(False)}</link>
      <description>{description}</description>
      <guid isPermaLink="false">oai:arXiv.org:{w.id(True)}</guid>
      {"".join(f"<category>{c}</category>" for c in s.categories)}
      <pubDate>{w.value("date", format_datetime(s.published))}</pubDate>{extensions}</item>"""


def rss_atom_entry(w: Written) -> str:
    s = w.spec
    description, extensions = _announcement(w)
    return f"""<entry><id>oai:arXiv.org:{w.id(True)}</id><title>{w.title}</title>
      <link href="https://arxiv.org/abs/{escape(w.id(False))}" rel="alternate"/>
      <summary>{description}</summary>
      {"".join(f"<category term={quoteattr(c)}/>" for c in s.categories)}
      <published>{w.value("date", _iso(s.published))}</published>{extensions}</entry>"""


_ATOM = 'xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
_DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'


@dataclass(frozen=True)
class Format:
    """How one format writes a record and a page, what parses it, and how it names things."""

    record: Callable[[Written], str]
    page: Callable[[str, str], str]  # (records, a head value: a count, size or date)
    head: str  # a valid head value
    parse: Callable[[bytes], Any]
    broken: tuple[str, ...] = ("id", "title", "date")  # the values a record can get wrong


def _oai_page(records: str, size: str) -> str:
    return f"""<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{records}
      <resumptionToken completeListSize={quoteattr(size)}>token|1</resumptionToken>
      </ListRecords></OAI-PMH>"""


def _api_page(entries: str, total: str) -> str:
    counts = "".join(
        f"<opensearch:{name}>{escape(value)}</opensearch:{name}>"
        for name, value in (("totalResults", total), ("startIndex", "0"), ("itemsPerPage", "50"))
    )
    return f"""<feed {_ATOM} xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
      {counts}{entries}</feed>"""


def _rss_page(items: str, date: str) -> str:
    return f"""<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" {_DC}><channel>
      <title>cs updates on arXiv.org</title><pubDate>{escape(date)}</pubDate>{items}
      </channel></rss>"""


def _rss_atom_page(entries: str, date: str) -> str:
    return f"<feed {_ATOM} {_DC}><updated>{escape(date)}</updated>{entries}</feed>"


def _records(page: Any) -> list[Any]:
    """The records of any format's page (announcements carry theirs)."""
    if isinstance(page, rss.RssPage):
        return [a.record for a in page.announcements]
    return page.records


FORMATS = {
    "oai-arXiv": Format(oai_arxiv, _oai_page, "7", oai.parse_list_records),
    "oai-arXivRaw": Format(
        oai_raw, _oai_page, "7", oai.parse_list_records, ("id", "title", "date", "version")
    ),
    "api": Format(api_entry, _api_page, "7", arxiv_atom.parse_feed),
    "rss": Format(rss_item, _rss_page, "Mon, 08 Sep 2025 00:00:00 -0400", rss.parse_announcements),
    "rss-atom": Format(
        rss_atom_entry, _rss_atom_page, "2025-09-08T04:00:00Z", rss.parse_announcements
    ),
}


def expected(fmt: str, s: Spec) -> dict[str, object]:
    """What the parser of ``fmt`` should make of a paper written unbroken."""
    fields: dict[str, object] = {
        "arxiv_id": s.ident.id,
        "title": clean_text(s.title),
        "abstract": clean_text(s.abstract),
        "authors": s.names,
        "categories": s.categories,
        "primary_category": s.categories[0],
        "doi": s.doi,
        "version": None if fmt == "oai-arXiv" else s.version,
    }
    if fmt.startswith("rss"):
        return {**fields, "announced": s.published.date()}
    if fmt == "oai-arXiv":  # dates without a time
        day = dt.time(tzinfo=dt.UTC)
        published = dt.datetime.combine(s.published.date(), day)
        updated = s.updated and dt.datetime.combine(s.updated.date(), day)
    else:
        published, updated = s.published, s.updated
    return {
        **fields,
        "comments": clean_text(s.comments),
        "published": published,
        "updated": updated,
    }


# --- bad values a record can carry -------------------------------------------------------------


def _id_rejected(text: str) -> bool:
    """Rejected however a format embeds it (bare, in an abs link, after ``oai:arXiv.org:``)."""
    for form in (text, f"http://arxiv.org/abs/{text}", oai.oai_identifier(f"oai:x:{text}")):
        try:
            clean_id(form)
        except RecordError:
            continue
        return False
    return True


def _date_rejected(text: str) -> bool:
    try:
        return parse_datetime(text, "date") is None
    except RecordError:
        return True


BAD = {
    "id": st.sampled_from(["2413.01234", "hep-th/990100", "x", "2401.01234v0"])
    | st.text(XML_CHARS, max_size=15).filter(_id_rejected),
    "title": st.sampled_from(["", " ", "\n\t "]),
    "date": st.sampled_from(["soon", "2025-13-01", "Mon, 32 Jan 2024 10:00:00 GMT"])
    | st.text(XML_CHARS, min_size=1, max_size=15).filter(lambda t: t.strip() and _date_rejected(t)),
    "version": st.sampled_from(["2nd", "v0", "v²", "v99999999999", "v" + "9" * 5000, "1"]),
}


# Papers to write, each with at most one bad value: (spec, (name, value) or None).
bad_values = st.sampled_from(sorted(BAD)).flatmap(lambda name: st.tuples(st.just(name), BAD[name]))
papers_to_write = st.lists(st.tuples(specs, st.none() | bad_values), max_size=5)


DELETED = ' status="deleted"'


def document(fmt: str, records: list[Written], head: str | None = None) -> bytes:
    f = FORMATS[fmt]
    body = f.page("".join(f.record(w) for w in records), f.head if head is None else head)
    return body.encode()


# --- the properties ---------------------------------------------------------------------------

each_format = pytest.mark.parametrize("fmt", sorted(FORMATS))


@each_format
@PROPERTIES
@given(papers_to_write, st.lists(arxiv_ids, max_size=2))
@example([(PAPER, ("version", "v0"))], [])  # arXivRaw: version 0 was taken as it came
@example([(PAPER, ("version", "v²"))], [])  # isdigit(), yet int() refuses it: no page at all
@example([(PAPER, ("version", "v99999999999"))], [])  # no integer column holds it
def test_a_page_of_papers_parses_back_and_each_broken_record_alone_is_reported(
    fmt: str, papers: list[tuple[Spec, tuple[str, str] | None]], deleted: list[arxiv_id.ArxivId]
) -> None:
    f = FORMATS[fmt]
    # A bad value in a field the format does not have leaves the record whole.
    broken = [bad is not None and bad[0] in f.broken for _, bad in papers]
    xml = document(fmt, [Written(spec, dict([bad] if bad else [])) for spec, bad in papers])
    if "oai" in fmt:  # OAI-PMH also lists papers withdrawn from arXiv
        stubs = "".join(f"<record>{_oai_header(str(i), DELETED)}</record>" for i in deleted)
        xml = xml.replace(b"<ListRecords>", b"<ListRecords>" + stubs.encode())
    page = f.parse(xml)

    good = [expected(fmt, spec) for (spec, _), bad in zip(papers, broken, strict=True) if not bad]
    records = _records(page)
    assert len(records) == len(good), page.errors
    assert [
        {name: getattr(r, name) for name in e} for r, e in zip(records, good, strict=True)
    ] == good
    assert len(page.errors) == sum(broken), page.errors
    assert all(reason for _, reason in page.errors)
    if "oai" in fmt:
        assert page.deleted == [i.id for i in deleted]


def _damaged(xml: bytes, damage: tuple[str, int, bytes] | None) -> bytes:
    """``xml`` cut at a position, or with a byte there replaced."""
    if damage is None:
        return xml
    how, at, replacement = damage
    at = at % (len(xml) + 1)
    return xml[:at] if how == "cut" else xml[:at] + replacement + xml[at + 1 :]


wild_papers = st.lists(
    st.tuples(
        specs,
        st.dictionaries(
            st.sampled_from(sorted(BAD)), st.text(XML_CHARS, max_size=12) | st.text(max_size=4)
        ),
    ),
    max_size=3,
)
damages = st.none() | st.tuples(
    st.sampled_from(["cut", "replace"]), st.integers(0), st.binary(min_size=1, max_size=3)
)


@each_format
@PROPERTIES
@given(wild_papers, st.none() | st.text(max_size=8), damages)
@example([], "²", None)  # a count or a size in digits int() refuses: ValueError, not XmlError
def test_any_document_is_a_page_that_accounts_for_each_record_or_an_xml_error(
    fmt: str,
    papers: list[tuple[Spec, dict[str, str]]],
    head: str | None,
    damage: tuple[str, int, bytes] | None,
) -> None:
    xml = _damaged(document(fmt, [Written(*p) for p in papers], head), damage)
    try:
        page = FORMATS[fmt].parse(xml)
    except XmlError as exc:
        assert str(exc)
        return
    records = _records(page)
    if damage is None:
        assert len(records) + len(page.errors) == len(papers)
    assert all(r.version is None or 1 <= r.version <= arxiv_id.MAX_VERSION for r in records)


@PROPERTIES
@given(st.binary(max_size=200))
def test_any_bytes_are_a_page_or_an_xml_error(xml: bytes) -> None:
    for parse in {f.parse for f in FORMATS.values()}:
        try:
            parse(xml)
        except XmlError as exc:
            assert str(exc)


@pytest.mark.django_db
@DATABASE
@given(st.sampled_from(sorted(FORMATS)), wild_papers)
def test_whatever_a_parser_keeps_the_store_writes(
    fmt: str, papers: list[tuple[Spec, dict[str, str]]]
) -> None:
    try:
        records = _records(FORMATS[fmt].parse(document(fmt, [Written(*p) for p in papers])))
    except XmlError:
        return
    if not records:
        return
    with rolled_back():
        store.upsert_papers(records)
        stored = set(Paper.objects.values_list("arxiv_id", flat=True))
        assert stored == {r.arxiv_id for r in records}
