"""TeX in titles and abstracts as readable Unicode, for places that cannot render it: feeds,
plain-text mail, Markdown. ``$\\alpha$-divergence`` becomes ``α-divergence``; text without TeX
is left as it is."""

from __future__ import annotations

import functools
import re

from pylatexenc.latex2text import LatexNodes2Text

# Outside math, arXiv authors write % and ~ as plain characters ("50% faster", URLs), which
# TeX would read as a comment and a non-breaking space: they are held out of the conversion.
_HELD = {"%": "\ue000", "~": "\ue001"}
_UNESCAPED = re.compile(r"(?<!\\)[%~]")
_TEX = re.compile(r"[\\${}]")


@functools.cache
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text")


def to_unicode(text: str) -> str:
    """``text`` with its TeX macros and math turned into Unicode (unknown macros dropped to
    their arguments); unchanged when it has no TeX at all or cannot be parsed."""
    if not _TEX.search(text):
        return text
    held = _UNESCAPED.sub(lambda m: _HELD[m[0]], text)
    try:
        plain = _converter().latex_to_text(held)
    except Exception:  # pylatexenc's parser is lenient; anything else: show the source
        return text
    for char, mark in _HELD.items():
        plain = plain.replace(mark, char)
    return " ".join(plain.split()) if "\n" not in text else plain
