"""The digest as a reader meets it, in Chromium with a real SMTP server: subscribe from the box
on every page, confirm, receive the digest (screenshot of the HTML mail), leave in one click."""

import datetime as dt
import re

import pytest

from dailypapers.digest.send import send_digests
from dailypapers.feed import periods
from tests.conftest import SHOTS
from tests.factories import feature, paper
from tests.smtp import Inbox, SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY = dt.date(2025, 9, 8)


def test_subscribe_confirm_read_and_unsubscribe(browser, live_server, settings):
    settings.DAILYPAPERS_SITE_URL = live_server.url
    for i, (title, votes) in enumerate(
        [
            ("Why Language Models Hallucinate", 27),
            ("WildScore: Benchmarking MLLMs in-the-Wild Symbolic Music Reasoning", 6),
            ("Scaling $\\mathcal{O}(n \\log n)$ Attention to a Million Tokens", 3),
        ]
    ):
        p = paper(f"2509.0466{i}", title=title, abstract="We study it. " * 30)
        feature(p, DAY, upvotes=votes)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with SmtpServer(Inbox()) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/papers/date/{DAY}")
        page.get_by_label("Get trending papers in your email inbox").fill("reader@example.org")
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_text("Check your inbox").wait_for()

        confirm = re.search(r"http://\S+/digest/confirm/\S+", smtp.inbox.messages[0].get_content())
        page.goto(confirm.group(0))
        page.get_by_text("You are subscribed").wait_for()

        report = send_digests("daily", periods.day(DAY))
        assert report.sent == 1

    digest = smtp.inbox.messages[1]
    html = digest.get_body(("html",)).get_content()
    mail_view = browser.new_page(viewport={"width": 700, "height": 900})
    mail_view.set_content(html)
    mail_view.screenshot(path=str(SHOTS / "digest-email.png"), full_page=True)
    assert mail_view.get_by_text("Why Language Models Hallucinate").count() == 1

    mail_view.get_by_role("link", name="Unsubscribe").click()
    mail_view.get_by_role("button", name="Unsubscribe").click()
    mail_view.get_by_text("You are unsubscribed").wait_for()
    assert send_digests("daily", periods.day(DAY)).subscribers == 0
