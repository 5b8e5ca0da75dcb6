"""The one normalised shape every source is turned into before it reaches the database.

Format modules (``arxiv_jsonl``, ``hf_daily``, ``arxiv_atom``, ``oai``, ``rss``) build
:class:`PaperRecord` objects with these helpers and raise :class:`RecordError` with a
readable reason for anything they cannot use; ``store`` writes records to the database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from dailypapers.papers import arxiv_id


class RecordError(ValueError):
    """A source record that cannot be imported; the message is the reason shown to the user."""


@dataclass(slots=True)
class PaperRecord:
    """A paper as one source knows it. Empty values mean "this source does not say"."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    comments: str = ""
    journal_ref: str = ""
    doi: str = ""
    report_no: str = ""
    license: str = ""
    version: int | None = None
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    announced: dt.date | None = None
    code_url: str = ""
    project_url: str = ""
    # Hugging Face's word on the paper (see store.UPSTREAM_FIELDS).
    ai_summary: str = ""
    ai_keywords: list[str] = field(default_factory=list)
    github_stars: int | None = None
    organization: str = ""
    organization_fullname: str = ""

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            if len(getattr(self, name)) > limit:
                raise RecordError(f"{name} longer than {limit} characters")


# Column sizes of papers.Paper: a longer value would fail the whole batch on PostgreSQL.
_LIMITS = {
    "primary_category": 32,
    "doi": 255,
    "report_no": 255,
    "license": 255,
    "organization": 100,
    "organization_fullname": 255,
}


@dataclass(slots=True)
class FeatureRecord:
    """A paper featured on a day by an upstream, with the counts that came with it: the whole
    counts, and where a dailypapers site tells them, its own members' part of them."""

    arxiv_id: str
    day: dt.date
    featured_at: dt.datetime
    upvotes: int = 0
    comments: int = 0
    member_upvotes: int | None = None
    member_comments: int | None = None
    submitted_by: str = ""
    submitted_by_fullname: str = ""


# --- identifiers -------------------------------------------------------------------------------


def clean_id(value: object) -> tuple[str, int | None]:
    """The versionless id and the version, if the source wrote one."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError("missing arXiv id")
    try:
        parsed = arxiv_id.parse(value)
    except arxiv_id.InvalidArxivId as exc:
        raise RecordError(str(exc)) from None
    return parsed.id, parsed.version


# --- text --------------------------------------------------------------------------------------


# Control characters other than whitespace: no paper means them, XML (our feeds) cannot carry
# them, and PostgreSQL refuses NUL.
_CONTROL = dict.fromkeys(c for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace())


def clean_text(value: object) -> str:
    """Collapse arXiv's hard wrapping and indentation into single spaces; drop control
    characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    return " ".join(value.translate(_CONTROL).split())


_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a",
}  # fmt: skip
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip
# \'e  \'{e}  {\'e}  \c{c}  \c c  \"{\i}
_ACCENT_RE = re.compile(
    r"\{?\\(?P<mark>['`^\"~=.]|[uvHckr](?=[\s{]))\s*(?:\{\s*(?P<a>\\?[A-Za-z])\s*\}|(?P<b>\\?[A-Za-z]))\}?"
)
_LETTER_RE = re.compile(
    r"\{?\\(?P<name>ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\{\}|\s*\}?)"
)


def _accent(m: re.Match[str]) -> str:
    letter = m.group("a") or m.group("b")
    if letter.startswith("\\"):
        letter = _LETTERS.get(letter[1:], letter[1:])
    if letter == "ı":  # \'{\i} is an accented plain i
        letter = "i"
    return unicodedata.normalize("NFC", letter + _ACCENTS[m.group("mark")])


def latex_to_unicode(text: str) -> str:
    """Turn LaTeX accent macros (``Bal\\'azs``, ``G{\\"o}del``, ``\\c{C}``) and TeX quotes
    into Unicode.

    Only text outside math is touched; math (``$...$``) is left for KaTeX.
    """
    if "\\" not in text and "``" not in text:
        return text
    quotes = "``" in text  # ``TeX quotes''; without an opening ``, a '' (f'') stays
    parts = text.split("$")
    for i in range(0, len(parts), 2):  # even parts are outside math
        part = _ACCENT_RE.sub(_accent, parts[i])
        part = _LETTER_RE.sub(lambda m: _LETTERS[m.group("name")], part)
        if quotes:
            part = part.replace("``", "\u201c").replace("''", "\u201d")
        parts[i] = part
    return "$".join(parts)


_AFFILIATION = re.compile(r"\([^()]*\)")
_AUTHOR_SPLIT = re.compile(r",|\band\b|;|&")


def split_authors(value: object) -> list[str]:
    """Authors as an ordered list of names, from a list or arXiv's comma-separated string."""
    if value is None:
        return []
    if isinstance(value, list):
        names = [clean_text(v) for v in value]
    elif isinstance(value, str):
        text = clean_text(_AFFILIATION.sub(" ", latex_to_unicode(value)))
        names = [clean_text(n) for n in _AUTHOR_SPLIT.split(text)]
    else:
        raise RecordError(f"authors: expected a list or text, got {type(value).__name__}")
    return [latex_to_unicode(n) for n in names if n]


def clean_categories(value: object) -> list[str]:
    """Categories as a list without duplicates, from a list or a space-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items = clean_text(value).split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [clean_text(v) for v in value]
    else:
        raise RecordError("categories: expected a list of names or a space-separated string")
    return list(dict.fromkeys(i for i in items if i))


# --- dates -------------------------------------------------------------------------------------


def parse_datetime(value: object, what: str) -> dt.datetime | None:
    """ISO date or datetime, or an RFC 2822 date (Kaggle's versions), as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{what}: expected a date, got {type(value).__name__}")
    text = value.strip()
    try:
        if text[:4].isdigit():
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            parsed = parsedate_to_datetime(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)  # OverflowError at the ends of Python's calendar
    except (ValueError, TypeError, IndexError, OverflowError):
        raise RecordError(f"{what}: not a date: {text[:80]!r}") from None


def parse_date(value: object, what: str) -> dt.date | None:
    parsed = parse_datetime(value, what)
    return parsed.date() if parsed else None
