"""What goes into a digest, and the message that carries it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from dailypapers.feed import periods, selectors
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper
from dailypapers.recommend import selectors as recommend

from .models import Subscriber

TRENDING_PER_DIGEST = 10
CATEGORY_PAPERS_PER_DIGEST = 10
PICKS_PER_DIGEST = 5
UNSUBSCRIBE_SALT = "dailypapers.digest.unsubscribe"
CONFIRM_SALT = "dailypapers.digest.confirm"


def period_for(frequency: str, today: dt.date) -> periods.Period:
    """The period a digest sent today covers: yesterday, or last ISO week."""
    if frequency == Subscriber.Frequency.WEEKLY:
        return periods.week_of(today - dt.timedelta(days=7))
    return periods.day(today - dt.timedelta(days=1))


def period_key(frequency: str, p: periods.Period) -> str:
    return f"{frequency}:{p.slug}"


def announces(p: periods.Period) -> bool:
    """Whether arXiv announced anything in the period (no daily digest on other days)."""
    days = (p.start + dt.timedelta(days=i) for i in range((p.end - p.start).days + 1))
    return any(selectors.is_announcement_day(d) for d in days)


@dataclass
class Edition:
    """A period's shared material, computed once per run: its featured papers, most upvoted
    first (a digest's "trending" part is their head), and the papers newly announced in it
    (for category subscriptions)."""

    frequency: str
    period: periods.Period
    most_upvoted: list[Paper]
    announced: list[Paper]
    bodies: dict[tuple, tuple[str, str]] = field(default_factory=dict)  # rendered, by papers

    @classmethod
    def build(cls, frequency: str, p: periods.Period) -> Edition:
        most_upvoted = list(selectors.listing(p.start, p.end, "votes"))
        return cls(frequency, p, most_upvoted, list(papers.announced_between(p.start, p.end)))

    @property
    def key(self) -> str:
        return period_key(self.frequency, self.period)


@dataclass
class Digest:
    subscriber: Subscriber
    edition: Edition
    trending: list[Paper] = field(default_factory=list)
    picks: list[recommend.Pick] = field(default_factory=list)  # a member's "for you"
    in_categories: list[Paper] = field(default_factory=list)

    @property
    def papers(self) -> list[Paper]:
        return self.trending + [p.paper for p in self.picks] + self.in_categories

    @property
    def empty(self) -> bool:
        return not self.papers


def compose(subscriber: Subscriber, edition: Edition, already_sent: set[int]) -> Digest:
    """The subscriber's digest: trending papers, a member's top "for you" picks (which leave
    out what they voted, saved or marked "not interested") and new papers of their
    categories, leaving out every paper this person was sent before."""
    digest = Digest(subscriber, edition)
    seen = set(already_sent)
    if subscriber.wants_trending:
        digest.trending = _take(edition.most_upvoted, seen, TRENDING_PER_DIGEST)
    if subscriber.user is not None:
        digest.picks = recommend.picks(subscriber.user, PICKS_PER_DIGEST, exclude=seen)
        seen.update(p.paper.pk for p in digest.picks)
    if subscriber.categories:
        wanted = set(subscriber.categories)
        matching = [p for p in edition.announced if wanted & set(p.categories)]
        digest.in_categories = _take(matching, seen, CATEGORY_PAPERS_PER_DIGEST)
    return digest


def _take(papers: list[Paper], seen: set[int], limit: int) -> list[Paper]:
    chosen = []
    for p in papers:
        if p.pk not in seen:
            chosen.append(p)
            seen.add(p.pk)
            if len(chosen) == limit:
                break
    return chosen


def unsubscribe_url(subscriber: Subscriber) -> str:
    token = signing.dumps(subscriber.pk, salt=UNSUBSCRIBE_SALT)
    return f"{settings.DAILYPAPERS_SITE_URL}/digest/unsubscribe/{token}"


def message_id(subscriber: Subscriber, key: str) -> str:
    """Stable per subscriber and period: a resend after a crash carries the same id, which
    mail servers and clients use to drop the duplicate."""
    host = urlparse(settings.DAILYPAPERS_SITE_URL).hostname or "localhost"
    return f"<digest.{key.replace(':', '.')}.{subscriber.pk}@{host}>"


def render(digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest.

    The body depends only on the papers, so it is rendered once per edition and list of papers
    (usually the same for thousands of subscribers); only the footer is personal.
    """
    edition, sub = digest.edition, digest.subscriber
    p = edition.period
    key = (tuple(x.pk for x in digest.trending), tuple(x.pk for x in digest.in_categories),
           tuple(sub.categories), tuple((p.paper.pk, p.why) for p in digest.picks))  # fmt: skip
    body = edition.bodies.get(key)
    if body is None:
        context = {"digest": digest, "period": p, "site": settings.DAILYPAPERS_SITE_URL}
        body = edition.bodies[key] = (
            render_to_string("digest/email_body.txt", context),
            render_to_string("digest/email_body.html", context),
        )
    footer = {
        "sub": sub,
        "site": settings.DAILYPAPERS_SITE_URL,
        "unsubscribe_url": unsubscribe_url(sub),
    }
    label = p.title if p.kind == "week" else f"{p.start:%A %-d %B %Y}"
    html = render_to_string("digest/email.html", {**footer, "body": mark_safe(body[1])})
    text = body[0] + render_to_string("digest/email_footer.txt", footer)
    return f"Trending papers · {label}", text, html


def build_message(digest: Digest, message_id_value: str) -> EmailMultiAlternatives:
    subject, text, html = render(digest)
    link = unsubscribe_url(digest.subscriber)
    msg = EmailMultiAlternatives(
        subject,
        text,
        to=[digest.subscriber.email],
        headers={
            "Message-ID": message_id_value,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
            "List-Id": "dailypapers digest <digest.dailypapers>",
        },
    )
    msg.attach_alternative(html, "text/html")
    return msg
