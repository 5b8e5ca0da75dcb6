import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# TeX between $...$ is left alone: a <mark> inside it would break KaTeX's rendering.
_MATH = re.compile(r"(\$\$?[^$]+\$\$?)")
_SUFFIX = re.compile(r"(?:ies|es|s|ing|ed|al)$")


@register.filter
def highlight(text: str, terms: list[str] | None) -> SafeString:
    """``text`` escaped, with words starting like a search term marked. Terms lose a common
    suffix first, so "networks" marks "network" and "networked", like the stemming index."""
    if not terms:
        return escape(text)
    stems = {_SUFFIX.sub("", t) if len(t) > 4 else t for t in terms}
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True)) + r")\w*",
        re.IGNORECASE,
    )
    out: list[str] = []
    for i, part in enumerate(_MATH.split(text)):
        if i % 2:  # math
            out.append(escape(part))
        else:  # matched in the raw text, so that "amp" never marks inside an escaped "&amp;"
            end = 0
            for m in pattern.finditer(part):
                out += [escape(part[end : m.start()]), f"<mark>{escape(m.group(0))}</mark>"]
                end = m.end()
            out.append(escape(part[end:]))
    return mark_safe("".join(out))  # every piece was escaped above
