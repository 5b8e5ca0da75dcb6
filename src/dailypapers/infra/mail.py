"""Plain-text mail from a pair of templates: ``<name>_subject.txt`` and ``<name>.txt``."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated(to: str, template: str, context: dict[str, object]) -> None:
    """Send ``template`` (e.g. "community/mail/verify_email") to one address; the templates get
    ``site`` (this site's public address) besides ``context``."""
    context = {**context, "site": settings.DAILYPAPERS_SITE_URL}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"{template}.txt", context), None, [to])
