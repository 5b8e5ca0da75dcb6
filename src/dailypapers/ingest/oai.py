"""arXiv OAI-PMH ``ListRecords`` responses (``oaipmh.arxiv.org/oai``), metadataPrefix ``arXiv``
or ``arXivRaw``.

``arXiv`` gives structured authors and the first (``created``) and latest (``updated``)
version dates but no version number; ``arXivRaw`` gives the author string as submitted and
one ``<version>`` element per version, so the version number is known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from dailypapers.papers import arxiv_id

from .arxiv_atom import XmlError, latex_text, local_name, parse_xml, text_of
from .records import (
    PaperRecord,
    RecordError,
    clean_categories,
    clean_id,
    parse_date,
    parse_datetime,
    split_authors,
)

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "arXiv": "http://arxiv.org/OAI/arXiv/",
    "raw": "http://arxiv.org/OAI/arXivRaw/",
}


class OaiError(XmlError):
    """An OAI-PMH protocol error (``<error code=...>``), e.g. ``badResumptionToken``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}" if message else f"OAI-PMH error {code}")
        self.code = code
        self.message = message


@dataclass(slots=True)
class OaiPage:
    """One ListRecords page. ``resumption_token`` is None once the list is complete."""

    records: list[PaperRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None
    last_datestamp: dt.date | None = None


def parse_list_records(xml: bytes) -> OaiPage:
    """A ListRecords response as records and deleted ids; OaiError for a protocol error."""
    root = parse_xml(xml, "OAI-PMH response")
    if root.tag != f"{{{NS['oai']}}}OAI-PMH":
        raise XmlError(f"OAI-PMH response: expected <OAI-PMH>, got <{local_name(root)}>")
    errors = root.findall("oai:error", NS)
    if errors:
        codes = [e.get("code", "") for e in errors]
        if all(code == "noRecordsMatch" for code in codes):
            return OaiPage()  # the normal answer for an empty from/until window
        first = next(e for e in errors if e.get("code") != "noRecordsMatch")
        raise OaiError(first.get("code") or "unknown", text_of(first, "."))
    listing = root.find("oai:ListRecords", NS)
    if listing is None:
        raise XmlError("OAI-PMH response: no <ListRecords> (a response to another verb?)")

    page = OaiPage()
    datestamps: list[dt.date] = []
    for n, record in enumerate(listing.iterfind("oai:record", NS), start=1):
        header = record.find("oai:header", NS)
        identifier = text_of(header, "oai:identifier", NS) if header is not None else ""
        location = identifier or f"record {n}"
        try:
            if header is None or not identifier:
                raise RecordError("record without <header><identifier>")
            stamp = parse_date(text_of(header, "oai:datestamp", NS), "datestamp")
            if stamp:
                datestamps.append(stamp)
            if header.get("status") == "deleted":
                page.deleted.append(clean_id(oai_identifier(identifier))[0])
            else:
                page.records.append(_parse_metadata(record))
        except RecordError as exc:
            page.errors.append((location, str(exc)))
    page.last_datestamp = max(datestamps, default=None)
    _resumption(listing, page)
    return page


def oai_identifier(value: str) -> str:
    """``oai:arXiv.org:2401.01234`` (also used by the RSS Atom feed) as ``2401.01234``."""
    value = value.strip()
    # Ids never contain ":", old-style ones do contain "/": the id is after the last colon.
    return value.rpartition(":")[2] if value.lower().startswith("oai:") else value


def _parse_metadata(record: Element) -> PaperRecord:
    metadata = record.find("oai:metadata", NS)
    if metadata is None:
        raise RecordError("record without <metadata>")
    arxiv = metadata.find("arXiv:arXiv", NS)
    if arxiv is not None:
        return parse_arxiv(arxiv)
    raw = metadata.find("raw:arXivRaw", NS)
    if raw is not None:
        return parse_arxiv_raw(raw)
    found = next(iter(metadata), None)
    name = f"<{local_name(found)}>" if found is not None else "nothing"
    raise RecordError(f"unsupported metadata format: {name} (expected arXiv or arXivRaw)")


def parse_arxiv(meta: Element) -> PaperRecord:
    """One ``<arXiv>`` (metadataPrefix=arXiv) element; RecordError if unusable."""
    ident, version = clean_id(text_of(meta, "arXiv:id", NS))
    names = []
    for author in meta.iterfind("arXiv:authors/arXiv:author", NS):
        parts = (text_of(author, f"arXiv:{p}", NS) for p in ("forenames", "keyname", "suffix"))
        names.append(" ".join(p for p in parts if p))
    return _record(
        meta,
        "arXiv",
        ident,
        version,
        authors=split_authors(names),
        published=parse_datetime(text_of(meta, "arXiv:created", NS), "created"),
        updated=parse_datetime(text_of(meta, "arXiv:updated", NS), "updated"),
    )


def parse_arxiv_raw(meta: Element) -> PaperRecord:
    """One ``<arXivRaw>`` (metadataPrefix=arXivRaw) element; RecordError if unusable."""
    ident, version = clean_id(text_of(meta, "raw:id", NS))
    versions: list[tuple[int, dt.datetime | None]] = []
    for v in meta.iterfind("raw:version", NS):
        label = (v.get("version") or "").strip()
        try:
            number = arxiv_id.parse_version(label)
        except arxiv_id.InvalidArxivId:
            raise RecordError(f"version: expected v1, v2, ..., got {label[:20]!r}") from None
        versions.append((number, parse_datetime(text_of(v, "raw:date", NS), label)))
    versions.sort(key=lambda item: item[0])
    published = updated = None
    if versions:
        published = versions[0][1]
        version = versions[-1][0]
        updated = versions[-1][1] if len(versions) > 1 else None
    return _record(
        meta,
        "raw",
        ident,
        version,
        authors=split_authors(text_of(meta, "raw:authors", NS)),
        published=published,
        updated=updated,
    )


def _record(
    meta: Element,
    ns: str,
    ident: str,
    version: int | None,
    authors: list[str],
    published: dt.datetime | None,
    updated: dt.datetime | None,
) -> PaperRecord:
    """The fields both formats name alike."""
    title = latex_text(meta, f"{ns}:title", NS)
    if not title:
        raise RecordError("missing title")
    categories = clean_categories(text_of(meta, f"{ns}:categories", NS))
    return PaperRecord(
        arxiv_id=ident,
        version=version,
        title=title,
        abstract=latex_text(meta, f"{ns}:abstract", NS),
        authors=authors,
        categories=categories,
        primary_category=categories[0] if categories else "",  # arXiv lists it first
        comments=text_of(meta, f"{ns}:comments", NS),
        journal_ref=text_of(meta, f"{ns}:journal-ref", NS),
        doi=text_of(meta, f"{ns}:doi", NS),
        report_no=text_of(meta, f"{ns}:report-no", NS),
        license=text_of(meta, f"{ns}:license", NS),
        published=published,
        updated=updated,
    )


def _resumption(listing: Element, page: OaiPage) -> None:
    token = listing.find("oai:resumptionToken", NS)
    if token is None:
        return
    # An empty token (often with completeListSize/cursor) marks the last page.
    page.resumption_token = (token.text or "").strip() or None
    page.complete_list_size = _attr_int(token, "completeListSize")


def _attr_int(element: Element, name: str) -> int | None:
    value = (element.get(name) or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to isdigit(), not to int()
        raise XmlError(f"OAI-PMH response: resumptionToken {name}={value!r} is not a number")
    return int(value)
