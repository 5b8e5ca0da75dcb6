"""Generators shared by the property tests: valid values of each kind, and hostile ones."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from hypothesis import strategies as st

from dailypapers.papers import arxiv_id
from dailypapers.papers.categories import NAMES

# What an attacker writes into a field that a page, a feed, an email or the API shows.
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "{{ request.META }}{% debug %}",
    r"$\href{javascript:alert(1)}{x}$ \url{javascript:alert(1)}",
)

# Text any XML document can carry: no control characters (tab and newline aside), surrogates
# or non-characters. Without backslashes and backticks, so that the parsers' TeX-to-Unicode
# step leaves it as it is and a round trip can compare it exactly.
XML_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Co"), exclude_characters="\\`"
) | st.sampled_from("\t\n")


def text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """XML-safe text, hostile payloads among it; at least one non-space when ``min_size``."""
    plain = st.text(XML_CHARS, min_size=min_size, max_size=max_size)
    if min_size:
        plain = plain.filter(str.strip)
    return st.sampled_from(HOSTILE) | plain


# A person's name as every source's author splitter keeps it whole: letters, no separators
# (, ; & and), no parenthesised affiliation.
names = (
    st.text(st.characters(categories=("L",)) | st.sampled_from(" .-'"), min_size=1, max_size=20)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: any(c.isalpha() for c in s) and not re.search(r"\band\b", s))
)
categories = st.sampled_from(sorted(NAMES))

new_style = st.builds(
    lambda yy, mm, num: f"{yy:02d}{mm:02d}." + (f"{num:05d}" if yy >= 15 else f"{num % 10000:04d}"),
    st.integers(8, 99),
    st.integers(1, 12),
    st.integers(0, 99999),
)
old_style = st.builds(
    lambda archive, yy, mm, num: f"{archive}/{yy:02d}{mm:02d}{num:03d}",
    st.sampled_from(sorted(arxiv_id.OLD_ARCHIVES)),
    st.sampled_from([91, 95, 99, 0, 3, 6]),
    st.integers(1, 12),
    st.integers(0, 999),
)
versions = st.none() | st.integers(1, arxiv_id.MAX_VERSION)
# Valid, canonical identifiers (the corpus key), with or without a version.
arxiv_ids = st.builds(arxiv_id.ArxivId, new_style | old_style, versions)

# Whole seconds in UTC within arXiv's lifetime: what every source format can write exactly.
datetimes = st.datetimes(dt.datetime(1991, 8, 1), dt.datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=dt.UTC)
)


@dataclass(frozen=True)
class Spec:
    """A paper as a generator writes it into a source record. ``ident.version`` is its latest
    version; ``updated`` (that version's date) is None for v1."""

    ident: arxiv_id.ArxivId
    title: str
    abstract: str
    authors: list[tuple[str, str]]  # (forenames, surname)
    categories: list[str]
    comments: str
    doi: str
    published: dt.datetime
    updated: dt.datetime | None

    @property
    def names(self) -> list[str]:
        return [f"{first} {last}" for first, last in self.authors]

    @property
    def version(self) -> int:
        return self.ident.version or 1


def _spec(ident, title, abstract, authors, cats, comments, doi, published, later) -> Spec:
    version = ident.version or 1
    updated = published + later if version > 1 else None
    return Spec(ident, title, abstract, authors, cats, comments, doi, published, updated)


specs = st.builds(
    _spec,
    arxiv_ids,
    text(min_size=1),
    text(),
    st.lists(st.tuples(names, names), min_size=1, max_size=4),
    st.lists(categories, min_size=1, max_size=3, unique=True),
    text(),
    st.just("") | st.from_regex(r"\A10\.[0-9]{4,5}/[a-z0-9.]{1,12}\Z"),
    datetimes,
    st.integers(1, 3000 * 86400).map(lambda s: dt.timedelta(seconds=s)),
)

# One such paper, for pinned examples.
PAPER = Spec(
    arxiv_id.ArxivId("2401.01234", 2),
    "A title",
    "An abstract.",
    [("Ada", "Lovelace")],
    ["cs.LG"],
    "",
    "",
    dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    dt.datetime(2024, 2, 3, tzinfo=dt.UTC),
)
