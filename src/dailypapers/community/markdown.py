"""Comments as safe Markdown: CommonMark without raw HTML, then sanitised (links get
rel="nofollow ugc noopener"); anything else a member types is shown as text."""

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


def render(text: str) -> str:
    """HTML for a comment body; safe to mark as safe in templates."""
    return nh3.clean(
        _md.render(text),
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
