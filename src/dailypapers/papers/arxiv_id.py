"""arXiv identifiers: parse every form a user or a feed gives, normalise to one key.

The corpus is keyed by the *versionless* id. Two schemes exist
(https://info.arxiv.org/help/arxiv_identifier.html):

* new style since April 2007: ``YYMM.NNNN`` (to 1412) or ``YYMM.NNNNN`` (from 1501);
* old style before that: ``archive/YYMMNNN``, sometimes written with the subject class,
  ``math.CA/0611800``, which is not part of the id (canonical: ``math/0611800``).

Accepted around the id: ``arXiv:`` prefix, a ``vN`` version suffix, and arXiv URLs
(``/abs/``, ``/pdf/`` with or without ``.pdf``, ``/html/``, ``/format/``), http or https,
with or without ``www.`` / ``export.``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Archives that used old-style ids (arXiv's list; frozen since 2007).
OLD_ARCHIVES = frozenset(
    """acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph cmp-lg
    comp-gas cond-mat cs dg-ga funct-an gr-qc hep-ex hep-lat hep-ph hep-th math math-ph
    mtrl-th nlin nucl-ex nucl-th patt-sol physics plasm-ph q-alg q-bio quant-ph solv-int
    supr-con""".split()
)

# Papers reach a few dozen versions; a larger number is a typo or an attack, and would not fit
# the version column.
MAX_VERSION = 999

# ASCII only: ``\d`` would take the digits of every script, and keep them in the corpus key.
_NEW = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})(?:v(?P<v>\d+))?", re.ASCII)
_OLD = re.compile(
    r"(?P<archive>[a-z][a-z-]*)(?:\.[a-z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})(?P<num>\d{3})"
    r"(?:v(?P<v>\d+))?",
    re.IGNORECASE | re.ASCII,
)
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?P<rest>.+?)"
    r"(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_VERSION = re.compile(r"v(?P<v>\d+)", re.ASCII)


class InvalidArxivId(ValueError):
    """Raised for text that is not an arXiv identifier; the message says why."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed identifier: ``id`` is versionless and canonical, ``version`` may be None."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self}"


def parse(text: str) -> ArxivId:
    """Parse any accepted form of an arXiv id; raise InvalidArxivId with a reason otherwise."""
    if not isinstance(text, str):
        raise InvalidArxivId(f"expected text, got {type(text).__name__}")
    raw = text.strip()
    new = _NEW.fullmatch(raw)
    if new:  # the common case (bulk imports): a bare new-style id
        return _checked_new(new, text)
    if not raw:
        raise InvalidArxivId("empty arXiv id")
    if len(raw) > 200:
        raise InvalidArxivId("too long to be an arXiv id")
    url = _URL.match(raw)
    if url:
        raw = url.group("rest")
    elif "://" in raw or raw.lower().startswith(("www.", "arxiv.org")):
        raise InvalidArxivId(f"not an arXiv abstract or PDF link: {text.strip()!r}")
    raw = _PREFIX.sub("", raw)

    new = _NEW.fullmatch(raw)
    if new:
        return _checked_new(new, text)
    old = _OLD.fullmatch(raw)
    if old:
        return _checked_old(old, text)
    raise InvalidArxivId(
        f"not an arXiv id: {text.strip()!r} (expected e.g. 2401.01234, 2401.01234v2, "
        "hep-th/9901001 or an arxiv.org link)"
    )


def parse_version(label: str) -> int:
    """A version label as sources write it (``v2``) as its number; InvalidArxivId otherwise."""
    m = _VERSION.fullmatch(label.strip())
    if m is None:
        raise InvalidArxivId(f"expected a version v1, v2, ..., got {label[:20]!r}")
    return _number(m["v"], label)


def normalize(text: str) -> str:
    """The versionless canonical id for any accepted form (the corpus key)."""
    return parse(text).id


def _version(match: re.Match[str], text: str) -> int | None:
    v = match.group("v")
    return None if v is None else _number(v, text)


def _number(v: str, text: str) -> int:
    """The version number written ``v`` (digits), within 1..MAX_VERSION."""
    # Counted before int(), which refuses numbers of over 4,300 digits with a ValueError.
    number = int(v) if len(v) <= len(str(MAX_VERSION)) else MAX_VERSION + 1
    if number == 0:
        raise InvalidArxivId(f"version numbers start at v1: {text.strip()!r}")
    if number > MAX_VERSION:
        raise InvalidArxivId(f"versions run to v{MAX_VERSION}: {text.strip()[:80]!r}")
    return number


def _checked_new(m: re.Match[str], text: str) -> ArxivId:
    yy, mm, num = int(m.group("yy")), int(m.group("mm")), m.group("num")
    if not 1 <= mm <= 12:
        raise InvalidArxivId(f"month {mm:02d} does not exist in {text.strip()!r}")
    if (yy, mm) < (7, 4):
        raise InvalidArxivId(f"new-style ids start in April 2007 (0704): {text.strip()!r}")
    digits = 5 if yy >= 15 else 4
    if len(num) != digits:
        raise InvalidArxivId(
            f"ids from {mm:02d}/20{yy:02d} have {digits} digits after the dot: {text.strip()!r}"
        )
    return ArxivId(f"{m.group('yy')}{m.group('mm')}.{num}", _version(m, text))


def _checked_old(m: re.Match[str], text: str) -> ArxivId:
    archive = m.group("archive").lower()
    if archive not in OLD_ARCHIVES:
        raise InvalidArxivId(f"unknown arXiv archive {archive!r} in {text.strip()!r}")
    yy, mm = int(m.group("yy")), int(m.group("mm"))
    if not 1 <= mm <= 12:
        raise InvalidArxivId(f"month {mm:02d} does not exist in {text.strip()!r}")
    # Old-style ids run from 1991-08 to 2007-03; a two-digit year wraps at 2000.
    if not (yy >= 91 or (yy, mm) <= (7, 3)):
        raise InvalidArxivId(f"old-style ids end in March 2007: {text.strip()!r}")
    ident = f"{archive}/{m.group('yy')}{m.group('mm')}{m.group('num')}"
    return ArxivId(ident, _version(m, text))
