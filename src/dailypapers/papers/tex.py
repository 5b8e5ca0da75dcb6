"""TeX in titles and abstracts as readable Unicode, for places that cannot render it: feeds,
plain-text mail. ``$\\alpha$-divergence`` becomes ``α-divergence``; text without TeX is left as
it is."""

from __future__ import annotations

import functools
import re
from typing import Any

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

# arXiv authors also write % and ~ as plain characters ("50% faster", "/~name/" in links),
# which TeX would read as a comment and a non-breaking space: those are held out.
_HELD = {"%": "\ue000", "~": "\ue001"}
_PLAIN = re.compile(r"(?<!\\)%|(?<=/)~")
_TEX = re.compile(r"[\\${}~]")
# pylatexenc's parser takes \operatorname for a macro without argument.
_OPERATOR = re.compile(r"\\operatorname\*?(?=\s*\{)")


def _unknown_macro(node: Any, l2tobj: LatexNodes2Text) -> str:  # the name pylatexenc asks for
    """A macro pylatexenc cannot render: its arguments' text (``\\texttt{x}`` → x), else its
    name (``\\poly`` → poly, ``\\R`` → R), rather than nothing."""
    args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    return l2tobj.nodelist_to_text(args) if args else node.macroname


@functools.cache
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db().filter_context()  # a copy to change
    context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
    return LatexNodes2Text(latex_context=context, math_mode="text")


@functools.lru_cache(maxsize=4096)  # ~3 ms an abstract; a feed shows the same ones again
def to_unicode(text: str) -> str:
    """``text`` with its TeX macros and math turned into Unicode; unchanged when it has no
    TeX at all or cannot be parsed."""
    if not _TEX.search(text):
        return text
    held = _OPERATOR.sub(r"\\mathrm", _PLAIN.sub(lambda m: _HELD[m[0]], text))
    try:
        plain = _converter().latex_to_text(held)
    except Exception:  # pylatexenc's parser is lenient; anything else: show the source
        return text
    for char, mark in _HELD.items():
        plain = plain.replace(mark, char)
    plain = plain.replace("\xa0", " ")  # ~ between words
    return " ".join(plain.split()) if "\n" not in text else plain
