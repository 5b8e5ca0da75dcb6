"""arXiv API responses (``export.arxiv.org/api/query``): an Atom feed with OpenSearch paging.

Both layouts arXiv has served are read: the legacy one (``xmlns:opensearch`` on each element,
abstracts hard-wrapped with leading spaces) and the 2025+ one (namespaces on the root,
``<arxiv:primary_category>`` without ``scheme``). arXiv reports a bad id as an ``Error`` entry
next to the good ones; such entries land in :attr:`ApiPage.errors`, located by that id.

The module also holds the XML helpers that ``oai`` and ``rss`` share: every response is
untrusted input and is parsed by :func:`parse_xml` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml import ElementTree as DET

from .records import (
    PaperRecord,
    RecordError,
    clean_categories,
    clean_id,
    clean_text,
    latex_to_unicode,
    parse_datetime,
    split_authors,
)

# --- shared XML helpers (used by oai and rss too) ----------------------------------------------


class XmlError(ValueError):
    """A response that is not well-formed, safe XML of the expected kind; the message says why."""


_UNSAFE = {
    DTDForbidden: "it has a DTD (<!DOCTYPE>), which arXiv never sends and which is how "
    "entity-expansion bombs and external-entity reads get in",
    EntitiesForbidden: "it declares entities (possible entity-expansion bomb)",
    ExternalReferenceForbidden: "it references an external entity",
}


def parse_xml(xml: bytes, what: str) -> Element:
    """The root element of ``xml``; XmlError for empty, malformed or unsafe input."""
    if not xml or not xml.strip():
        raise XmlError(f"{what}: empty response")
    try:
        return DET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"{what}: refused unsafe XML: {_UNSAFE.get(type(exc), exc)}") from None
    except ParseError as exc:
        raise XmlError(f"{what}: malformed or truncated XML ({exc})") from None


def text_of(parent: Element, path: str, ns: dict[str, str] | None = None) -> str:
    """Whitespace-collapsed text of the first element at ``path``; "" if there is none."""
    found = parent.find(path, ns)
    return clean_text("".join(found.itertext())) if found is not None else ""


def texts_of(parent: Element, path: str, ns: dict[str, str] | None = None) -> list[str]:
    """Whitespace-collapsed, non-empty texts of every element at ``path``, in order."""
    texts = (clean_text("".join(e.itertext())) for e in parent.iterfind(path, ns))
    return [t for t in texts if t]


def local_name(element: Element) -> str:
    """The tag without its ``{namespace}``, for messages."""
    return element.tag.rpartition("}")[2]


def latex_text(parent: Element, path: str, ns: dict[str, str] | None = None) -> str:
    """:func:`text_of` with LaTeX accents turned into Unicode (titles, abstracts)."""
    return latex_to_unicode(text_of(parent, path, ns))


# --- API feed ----------------------------------------------------------------------------------

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
# The summary of an error entry for one id: its location is then that id.
_BAD_ID = re.compile(r"incorrect id format for (\S+)")


@dataclass(slots=True)
class ApiPage:
    """One page of API results. ``errors`` are ``(where, reason)`` pairs; ``where`` is the id
    arXiv rejected, else the entry's ``<id>``, else its position."""

    records: list[PaperRecord] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    total_results: int = 0
    start_index: int = 0
    items_per_page: int = 0


def parse_feed(xml: bytes) -> ApiPage:
    """An API query response as records; XmlError if it is not a well-formed API feed."""
    root = parse_xml(xml, "arXiv API response")
    if root.tag != f"{{{NS['atom']}}}feed":
        raise XmlError(f"arXiv API response: expected an Atom <feed>, got <{local_name(root)}>")
    page = ApiPage(
        total_results=_count(root, "totalResults"),
        start_index=_count(root, "startIndex"),
        items_per_page=_count(root, "itemsPerPage"),
    )
    for n, entry in enumerate(root.iterfind("atom:entry", NS), start=1):
        location = text_of(entry, "atom:id", NS) or f"entry {n}"
        if "/api/errors" in location:
            # arXiv's way of saying "this id is malformed": an entry titled "Error".
            reason = text_of(entry, "atom:summary", NS) or text_of(entry, "atom:title", NS)
            bad_id = _BAD_ID.fullmatch(reason)
            page.errors.append(
                (bad_id[1] if bad_id else location, f"arXiv API error: {reason or 'no reason'}")
            )
            continue
        try:
            page.records.append(parse_entry(entry))
        except RecordError as exc:
            page.errors.append((location, str(exc)))
    return page


def parse_entry(entry: Element) -> PaperRecord:
    """One API ``<entry>`` as a PaperRecord; RecordError if it is unusable."""
    ident, version = clean_id(text_of(entry, "atom:id", NS))
    title = latex_text(entry, "atom:title", NS)
    if not title:
        raise RecordError("missing title")
    categories = clean_categories([c.get("term", "") for c in entry.iterfind("atom:category", NS)])
    primary_el = entry.find("arxiv:primary_category", NS)
    primary = clean_text(primary_el.get("term")) if primary_el is not None else ""

    published = parse_datetime(text_of(entry, "atom:published", NS), "published")
    updated = parse_datetime(text_of(entry, "atom:updated", NS), "updated")
    # <updated> is this version's date; for v1 it only repeats <published>.
    if (version == 1) or (version is None and updated == published):
        updated = None

    return PaperRecord(
        arxiv_id=ident,
        version=version,
        title=title,
        abstract=latex_text(entry, "atom:summary", NS),
        authors=split_authors(texts_of(entry, "atom:author/atom:name", NS)),
        categories=categories,
        primary_category=primary or (categories[0] if categories else ""),
        comments=text_of(entry, "arxiv:comment", NS),
        journal_ref=text_of(entry, "arxiv:journal_ref", NS),
        doi=text_of(entry, "arxiv:doi", NS),
        published=published,
        updated=updated,
    )


def _count(root: Element, name: str) -> int:
    value = text_of(root, f"opensearch:{name}", NS)
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to isdigit(), not to int()
        problem = f"bad opensearch:{name} {value!r}" if value else f"no opensearch:{name}"
        raise XmlError(f"arXiv API response: {problem}")
    return int(value)
