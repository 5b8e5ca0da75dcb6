"""A new person, in a real browser, with a real SMTP server: sign up, read the verification
mail, verify, submit a paper, upvote it, comment, find it on today's page and on /trending,
log out. Screenshots of every step land in test-artifacts/screenshots/community-*.png."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.conftest import SHOTS
from tests.factories import paper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_member_signs_up_submits_votes_and_comments(browser, live_server, smtp, settings):
    settings.DAILYPAPERS_SITE_URL = live_server.url
    paper(
        "2511.01234",
        title="Sparse Mixture-of-Experts at $10^{12}$ Parameters",
        abstract="We train a sparse model with $k=2$ experts per token.",
        published=timezone.now() - dt.timedelta(days=1),
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def shot(name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
        page.screenshot(path=str(SHOTS / f"community-{name}.png"), full_page=True)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email", exact=True).fill("grace@example.org")
    page.get_by_label("Display name").fill("grace")
    page.get_by_label("Password").fill("compilers are fun 1952")
    shot("1-signup")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Check your inbox").wait_for()

    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "grace@example.org"
    assert mail["Subject"] == "Verify your email address for dailypapers"
    link = re.search(r"http://\S+/accounts/verify/\S+", mail.get_content()).group(0)
    page.goto(link)
    page.get_by_text("Your email address is verified").wait_for()  # on the log-in page
    page.get_by_label("Email", exact=True).fill("grace@example.org")
    page.get_by_label("Password").fill("compilers are fun 1952")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="grace").wait_for()

    page.get_by_role("link", name="Submit").click()
    page.get_by_label("arXiv id or link").fill("https://arxiv.org/abs/2511.01234v1")
    shot("2-submit")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("is on today's page").wait_for()
    assert page.locator("h1 .katex").count() == 1

    page.get_by_role("button", name="Upvote").click()  # htmx swaps the button in place
    page.get_by_role("button", name="Remove upvote").wait_for()
    assert page.locator(".paper-actions .votes-count").inner_text() == "1"

    page.get_by_label("Add a comment").fill("Great **ablation** of the router.")
    page.get_by_role("button", name="Comment").click()
    page.locator(".comment-body strong", has_text="ablation").wait_for()
    shot("3-paper")

    page.get_by_role("link", name="Daily", exact=True).click()
    card = page.locator(".card", has_text="Sparse Mixture-of-Experts")
    assert card.locator(".votes-count").inner_text() == "1"
    assert card.locator("button[aria-pressed=true]").count() == 1
    shot("4-today")
    page.get_by_role("link", name="Trending", exact=True).click()
    assert page.locator(".card", has_text="Sparse Mixture-of-Experts").count() == 1
    shot("5-trending")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").wait_for()
    assert errors == []
