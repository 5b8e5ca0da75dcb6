"""arXiv's daily announcement feeds (``rss.arxiv.org``, 2024+ format): RSS 2.0 at ``/rss/<cats>``
and its Atom variant at ``/atom/<cats>``.

Each item is one announcement of one paper version: ``new``, ``cross`` (a cross-list into
the feed's categories), ``replace`` or ``replace-cross``. The description reads
``arXiv:2401.01234v2 Announce Type: replace Abstract: ...``. On days without announcements
arXiv sends an empty channel, which is an empty page, not an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from .arxiv_atom import XmlError, local_name, parse_xml, text_of, texts_of
from .oai import oai_identifier
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

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}

# What arXiv sends today; other values are passed on as they are, lower-cased.
ANNOUNCE_TYPES = frozenset({"new", "cross", "replace", "replace-cross"})

_HEAD = re.compile(
    r"\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Announcement:
    """One paper version announced in a feed; ``record`` is what the feed says about it."""

    arxiv_id: str
    version: int | None
    announce_type: str
    announced: dt.date | None
    record: PaperRecord


@dataclass(slots=True)
class RssPage:
    """A feed's announcements; ``errors`` are ``(item id or position, reason)`` pairs."""

    announcements: list[Announcement] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Item:
    """The raw fields of an RSS ``<item>`` or Atom ``<entry>``, named alike."""

    ident: str
    link: str
    title: str
    description: str
    categories: list[str]
    date: str
    announce_type: str
    rights: str
    doi: str
    journal_ref: str
    creators: list[str]


def parse_announcements(xml: bytes) -> RssPage:
    """An RSS 2.0 or Atom announcement feed; XmlError if it is neither, or malformed."""
    root = parse_xml(xml, "arXiv RSS feed")
    read: Callable[[Element], _Item]
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise XmlError("arXiv RSS feed: <rss> without <channel>")
        elements, read = channel.findall("item"), _rss_item
        feed_date = text_of(channel, "pubDate")
    elif root.tag == f"{{{NS['atom']}}}feed":
        elements, read = root.findall("atom:entry", NS), _atom_entry
        feed_date = text_of(root, "atom:updated", NS)
    else:
        raise XmlError(
            f"arXiv RSS feed: expected <rss> or an Atom <feed>, got <{local_name(root)}>"
        )
    try:
        feed_day = _day(feed_date, "feed date")
    except RecordError as exc:
        raise XmlError(f"arXiv RSS feed: {exc}") from None

    page = RssPage()
    for n, element in enumerate(elements, start=1):
        item = read(element)
        try:
            page.announcements.append(_announcement(item, feed_day))
        except RecordError as exc:
            page.errors.append((item.ident or f"item {n}", str(exc)))
    return page


def _rss_item(item: Element) -> _Item:
    return _item(
        item,
        ident=text_of(item, "guid"),
        link=text_of(item, "link"),
        title=text_of(item, "title"),
        description=text_of(item, "description"),
        categories=texts_of(item, "category"),
        date=text_of(item, "pubDate"),
    )


def _atom_entry(entry: Element) -> _Item:
    links = [e for e in entry.iterfind("atom:link", NS) if e.get("rel", "alternate") == "alternate"]
    return _item(
        entry,
        ident=text_of(entry, "atom:id", NS),
        link=clean_text(links[0].get("href")) if links else "",
        title=text_of(entry, "atom:title", NS),
        description=text_of(entry, "atom:summary", NS),
        categories=[c.get("term", "") for c in entry.iterfind("atom:category", NS)],
        date=text_of(entry, "atom:published", NS),
    )


def _item(
    element: Element,
    ident: str,
    link: str,
    title: str,
    description: str,
    categories: list[str],
    date: str,
) -> _Item:
    """The variant's own fields plus the extension elements both variants share."""
    return _Item(
        ident=ident,
        link=link,
        title=title,
        description=description,
        categories=categories,
        date=date,
        announce_type=text_of(element, "arxiv:announce_type", NS),
        rights=text_of(element, "dc:rights", NS),
        doi=text_of(element, "arxiv:DOI", NS),
        journal_ref=text_of(element, "arxiv:journal_reference", NS),
        creators=texts_of(element, "dc:creator", NS),
    )


def _announcement(item: _Item, feed_day: dt.date | None) -> Announcement:
    head = _HEAD.match(item.description)
    candidates = (oai_identifier(item.ident), head["id"] if head else "", item.link)
    ident, version = clean_id(next((c for c in candidates if c), ""))
    if version is None and head:  # the guid/link may lack the version the description has
        head_id, head_version = clean_id(head["id"])
        version = head_version if head_id == ident else None
    kind = (item.announce_type or (head["type"] if head else "")).lower()
    if not kind:
        raise RecordError("missing announce type")
    title = latex_to_unicode(item.title)
    if not title:
        raise RecordError("missing title")
    announced = _day(item.date, "pubDate") or feed_day
    categories = clean_categories(item.categories)
    record = PaperRecord(
        arxiv_id=ident,
        version=version,
        title=title,
        abstract=latex_to_unicode(item.description[head.end() :] if head else item.description),
        # One dc:creator with every name (arXiv) or one per author (other feeds).
        authors=[name for creator in item.creators for name in split_authors(creator)],
        categories=categories,
        # The paper's primary comes first, also for cross-lists from other archives.
        primary_category=categories[0] if categories else "",
        doi=item.doi,
        journal_ref=item.journal_ref,
        license=item.rights,
        announced=announced,
    )
    return Announcement(ident, version, kind, announced, record)


def _day(value: str, what: str) -> dt.date | None:
    """The calendar day as arXiv wrote it (midnight US Eastern), not shifted to UTC."""
    if parse_datetime(value, what) is None:  # validates, with the usual message
        return None
    text = value.strip()
    stamp = dt.datetime.fromisoformat(text) if text[:4].isdigit() else parsedate_to_datetime(text)
    return stamp.date()
