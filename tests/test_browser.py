"""Pages in a real browser (Playwright driving Debian's Chromium): LaTeX renders, the layout
holds on a phone, and screenshots are kept in test-artifacts/screenshots for people to look at."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import SHOTS, run_worker
from tests.factories import feature, member, paper, upstream_feature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2025, 9, 8)


@pytest.fixture
def day_of_papers():
    top = paper(
        "2509.04664",
        title="Scaling Laws for $\\mathcal{O}(n \\log n)$ Attention in Long-Context Transformers",
        abstract=(
            "We study attention whose cost grows as $\\mathcal{O}(n \\log n)$ in the sequence "
            "length $n$. Across 14 benchmarks the loss follows $L(C) = a C^{-\\alpha}$ with "
            "$\\alpha \\approx 0.05$, matching dense attention at a fraction of the compute."
        ),
        authors=[
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Edsger Dijkstra",
            "Barbara Liskov",
            "Donald Knuth",
            "Frances Allen",
        ],
        categories=["cs.LG", "cs.CL"],
        primary_category="cs.LG",
        version=2,
        comments="25 pages, 9 figures",
        code_url="https://github.com/example/attention",
    )
    upstream_feature(top, DAY, upvotes=128, comments=7, submitted_by="akhaliq")
    for i, (title, votes) in enumerate(
        [
            ("Retrieval-Augmented Agents that Know When to Stop Searching", 64),
            ("A Survey of Diffusion Models for Video Generation", 31),
            ("Vision-Language Pretraining with Noisy Web Captions at Scale", 12),
        ]
    ):
        feature(paper(f"2509.0{i + 1}000", title=title, abstract=title + ". " * 3), DAY, votes)
    return top


def open_page(browser, url, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors


def test_day_page_in_a_browser(browser, live_server, day_of_papers):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = open_page(browser, f"{live_server.url}/papers/date/{DAY}")

    assert page.locator(".card").count() == 4
    first = page.locator(".card").first
    assert first.locator(".upstream-votes").inner_text() == "▲\xa0128 on Hugging Face"
    assert first.locator(".card-title .katex").count() == 1  # LaTeX rendered by KaTeX
    assert errors == []
    page.screenshot(path=str(SHOTS / "day.png"), full_page=True)

    phone, errors = open_page(browser, f"{live_server.url}/papers/date/{DAY}", width=390)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the day page scrolls sideways on a phone"
    phone.screenshot(path=str(SHOTS / "day-phone.png"))


def test_paper_page_in_a_browser(browser, live_server, day_of_papers):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = open_page(browser, f"{live_server.url}/papers/2509.04664")

    assert page.locator("h1 .katex").count() == 1
    assert page.locator(".abstract .katex").count() >= 3
    assert page.get_by_role("link", name="PDF").get_attribute("href") == (
        "https://arxiv.org/pdf/2509.04664v2"
    )
    assert errors == []
    page.screenshot(path=str(SHOTS / "paper.png"), full_page=True)

    page.get_by_role("link", name="Monday, 8 September 2025").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/papers/date/{DAY}")


def test_search_in_a_browser(browser, live_server, day_of_papers):
    run_worker()  # embeds and indexes the papers
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = open_page(browser, f"{live_server.url}/papers/date/{DAY}")

    page.get_by_role("searchbox", name="Search papers").fill("attention transformers")
    with page.expect_navigation():  # the load-state wait alone can return before it starts
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    first = page.locator(".card").first
    assert "Long-Context Transformers" in first.locator(".card-title").inner_text()
    assert first.locator(".card-title .katex").count() == 1  # highlighting left TeX intact
    assert first.locator("mark").count() >= 2
    assert "keyword and semantic" in page.locator(".toolbar").inner_text()

    page.get_by_text("Filters").click()
    page.get_by_label("Category").fill("cs.CV")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="No papers match").is_visible()
    assert page.get_by_label("Category").input_value() == "cs.CV"  # the form keeps the filter
    page.get_by_label("Category").fill("")
    page.locator(".search-form [name=q]").fill("agents that stop searching")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("networkidle")
    assert "Retrieval-Augmented Agents" in page.locator(".card").first.inner_text()
    assert errors == []
    page.screenshot(path=str(SHOTS / "search.png"), full_page=True)


def test_the_content_security_policy_lets_the_site_s_own_pages_work(
    browser, live_server, day_of_papers, admin_user
):
    """The CSP allows only the site's own scripts: every page kind that runs script, styles
    formulas or frames a digest works under it, with no violation in the console, while a
    script from anywhere else is refused."""
    context = browser.new_context()
    context.add_cookies([_session_cookie(live_server, admin_user)])
    violations = []
    for path in ("/papers/2509.04664", "/api/v1/docs", "/digest/preview", "/admin/"):
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and violations.append(m.text))
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert violations == [], path
    assert page.locator("h1").count() >= 1  # the admin's index rendered
    page.goto(live_server.url + "/papers/2509.04664")
    assert page.locator("h1 .katex").count() == 1
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.src = "https://example.org/x.js"; document.head.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in v for v in violations)


def _session_cookie(live_server, user) -> dict:
    """A logged-in session for ``user``, as a cookie for the browser."""
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def test_formulas_cannot_make_a_page_huge_or_slow(browser, live_server):
    """Titles and abstracts are anyone's text: KaTeX caps sizes at 10em and macro expansions at
    100, so a formula can neither cover the page nor hang the reader's browser."""
    bomb = r"$\def\a{xx}\def\b{\a\a\a\a}\def\c{\b\b\b\b}\def\d{\c\c\c\c}\d\d$"  # 170 expansions
    paper("2509.06666", title="Big", abstract=r"A rule $\rule{500em}{500em}$ and a bomb " + bomb)
    page, errors = open_page(browser, f"{live_server.url}/papers/2509.06666")
    assert errors == []
    width = page.evaluate("document.querySelector('.abstract .rule').getBoundingClientRect().width")
    em = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.abstract')).fontSize)")
    assert width <= 11 * em * 1.21  # 10em at KaTeX's 1.21 scale, a rounding to spare
    assert "Too many expansions" in page.locator(".abstract .katex-error").get_attribute("title")


# Screenshots for people to look at, not committed: $DAILYPAPERS_SCREENSHOTS, else /tmp.
LOOK = Path(os.environ.get("DAILYPAPERS_SCREENSHOTS") or "/tmp/dailypapers-screenshots")
READING_GROUP = "https://papers-of-the-reading-group-of-the-lab.example.org"  # a long name


@pytest.fixture
def day_with_summaries(day_of_papers):
    """The day of papers, each with what Hugging Face brings (summary, keywords, links,
    organisation), upvotes from two upstreams and members' votes."""
    from dailypapers.community import services as community
    from dailypapers.papers.models import Paper

    voters = [member(name) for name in ("ada", "grace", "alan")]
    for n, p in enumerate(Paper.objects.order_by("-pk")):  # the top paper last
        p.ai_summary = (
            "A method that keeps the accuracy of dense attention while its cost grows only "
            "slightly faster than the sequence, tested on fourteen long-context benchmarks."
        )
        p.ai_keywords = ["long-context attention", "scaling laws", "sparse transformers"]
        p.project_url = f"https://example.org/project-with-a-rather-long-name-{n}"
        p.code_url = f"https://github.com/example-organisation/a-long-repository-name-{n}"
        p.github_stars = 12345
        p.organization, p.organization_fullname = "acme", "Acme Research Laboratories"
        p.save()
        upstream_feature(p, DAY, upvotes=40 + n, url=READING_GROUP)
        for voter in voters[: n + 1]:
            community.set_vote(voter, p, up=True)
    return day_of_papers


def test_cards_hold_at_phone_width_and_on_a_desktop(browser, live_server, day_with_summaries):
    LOOK.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}/papers/date/{DAY}"
    desktop, errors = open_page(browser, url)
    assert errors == []
    first = desktop.locator(".card").first
    assert first.locator(".ai-summary").is_visible()  # the summary under the title, labelled
    assert first.locator(".ai-label").text_content() == "AI summary (Hugging Face)"
    assert first.locator(".upstream-votes").all_inner_texts() == [
        "▲\xa0128 on Hugging Face",
        "▲\xa043 on papers-of-the-reading-group-of-the-lab.example.org",
    ]
    assert first.locator(".vote .votes-count").inner_text() == "3"  # the members' votes
    icons = first.locator(".link-icon .icon")  # drawn from an SVG mask, in the link's colour
    assert icons.count() == 2 and all(box["width"] == 14 for box in _boxes(icons))
    assert icons.first.evaluate("e => getComputedStyle(e).maskImage").startswith("url(")
    desktop.screenshot(path=str(LOOK / "day-desktop.png"), full_page=True)
    first.screenshot(path=str(LOOK / "card-desktop.png"))

    phone = browser.new_page(viewport={"width": 375, "height": 800})
    phone.goto(url)
    phone.wait_for_load_state("networkidle")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the day page scrolls sideways at 375 px"
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('.card, .card *')].filter(e => {
             const r = e.getBoundingClientRect(), card = e.closest('.card').getBoundingClientRect();
             return r.width > 0 && (r.right > card.right + 0.5 || r.left < card.left - 0.5);
           }).map(e => e.className || e.tagName)"""
    )
    assert wide == [], "something sticks out of a card at 375 px"
    assert phone.evaluate(
        "[...document.querySelectorAll('.card')].every(c => c.scrollWidth <= c.clientWidth)"
    )
    phone.screenshot(path=str(LOOK / "day-phone-375.png"), full_page=True)
    phone.locator(".card").first.screenshot(path=str(LOOK / "card-phone-375.png"))

    phone.goto(f"{live_server.url}/papers/2509.04664")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    featured = phone.locator(".featured-by").first.inner_text()
    assert "featured by Hugging Face (submitted by akhaliq) · 128 upvotes, 7 comments" in featured
    phone.screenshot(path=str(LOOK / "paper-phone-375.png"), full_page=True)


def _boxes(locator) -> list[dict]:
    return [locator.nth(i).bounding_box() for i in range(locator.count())]
