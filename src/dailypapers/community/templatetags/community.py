from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.community import markdown

register = template.Library()


@register.filter
def comment_html(body: str) -> SafeString:
    return mark_safe(markdown.render(body))
