from django import template

from dailypapers.papers import categories, tex

register = template.Library()


@register.filter
def category_name(code: str) -> str:
    return categories.name(code)


@register.filter
def first_authors(authors: list[str], limit: int = 5) -> str:
    """Up to ``limit`` names, then how many more: "A, B, C et al. (12 more)"."""
    if len(authors) <= limit:
        return ", ".join(authors)
    return f"{', '.join(authors[:limit])} et al. ({len(authors) - limit} more)"


@register.filter
def tex_text(text: str) -> str:
    """TeX as readable Unicode, for plain text (mail) where nothing renders it."""
    return tex.to_unicode(text)
