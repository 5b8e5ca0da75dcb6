"""Digests end to end against a real SMTP server: subscribe, receive, unsubscribe in one click,
and the ledger's promise (one digest per person and period, whatever happens)."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import socket
import threading

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from dailypapers.digest.models import Delivery, Subscriber
from dailypapers.digest.send import send_digests
from dailypapers.feed import periods
from tests.conftest import finished_pid
from tests.factories import feature, member, paper

pytestmark = pytest.mark.django_db(transaction=True)

MON, TUE = dt.date(2025, 9, 8), dt.date(2025, 9, 9)
SAT = dt.date(2025, 9, 13)


@pytest.fixture(autouse=True)
def site(settings):
    settings.DAILYPAPERS_SITE_URL = "https://papers.example.org"
    settings.DAILYPAPERS_DIGEST_RETRY_DELAY = 0.01


def subscriber(email: str, frequency: str = "daily", **fields) -> Subscriber:
    return Subscriber.objects.create(
        email=email,
        frequency=frequency,
        confirmed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        **fields,
    )


@pytest.fixture
def monday():
    """A Monday with three featured papers."""
    papers = [
        paper(f"2509.0000{i}", title=f"Paper {i}", abstract=f"About {i}.", categories=["cs.CL"])
        for i in (1, 2, 3)
    ]
    for votes, p in zip((30, 20, 10), papers, strict=True):
        feature(p, MON, upvotes=votes)
    return papers


def send(frequency="daily", day=MON):
    kind = "date" if frequency == "daily" else "week"
    return send_digests(frequency, periods.parse(kind, day.isoformat() if kind == "date" else day))


def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(client, smtp, monday):
    client.post("/digest/subscribe", {"email": "Reader@Example.org", "frequency": "daily"})
    confirm = re.search(r"https://\S+/digest/confirm/\S+", smtp.messages[0].get_content())
    assert smtp.messages[0]["Subject"] == "Confirm your dailypapers digest"
    assert not send().sent  # not confirmed yet: nothing goes out
    client.get(confirm.group(0).replace("https://papers.example.org", ""))

    report = send()

    assert (report.sent, report.failed) == (1, 0)
    msg = smtp.to("reader@example.org")[-1]  # after the confirmation request
    assert msg["Subject"] == "Trending papers · Monday 8 September 2025"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https://papers\.example\.org/digest/unsubscribe/\S+)>",
                               msg["List-Unsubscribe"].strip()).group(1)  # fmt: skip
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.index("Paper 1") < text.index("Paper 2") < text.index("Paper 3")  # by votes
    assert "https://papers.example.org/papers/2509.00001" in text
    assert 'href="https://papers.example.org/papers/2509.00001"' in html
    assert "<script" not in html and "style=" in html  # inline CSS, no scripts
    assert unsubscribe in text and unsubscribe in html

    # RFC 8058: the mail client POSTs, without cookies or CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    path = unsubscribe.replace("https://papers.example.org", "")
    response = mail_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None

    feature(paper("2509.00009", title="Tuesday paper"), TUE, upvotes=5)
    assert send(day=TUE).sent == 0
    assert len(smtp.to("reader@example.org")) == 2  # no further mail after the digest

    # The confirmation link worked once: replayed, it cannot subscribe the address again.
    again = client.get(confirm.group(0).replace("https://papers.example.org", ""))
    assert again.status_code == 400 and Subscriber.objects.get().unsubscribed_at is not None


def test_subscribing_twice_reveals_nothing_and_notifies_the_address(client, smtp):
    subscriber("reader@example.org")
    page = client.post("/digest/subscribe", {"email": "reader@example.org", "frequency": "weekly"})
    assert "Check your inbox" in page.content.decode()
    assert smtp.messages[0]["Subject"] == "You are already subscribed to dailypapers"


def test_a_stranger_can_neither_restart_nor_change_someone_elses_digest(client, smtp):
    """Anyone may type any address: for one that unsubscribed, nothing changes until the link
    mailed to it is opened, and the page reads as it does for an address never seen."""
    left = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    subscriber("reader@example.org", unsubscribed_at=left)

    def ask(email: str) -> str:
        page = client.post("/digest/subscribe", {"email": email, "frequency": "weekly"})
        assert page.status_code == 200
        csrf = r"\b[0-9A-Za-z]{64}\b"  # masked afresh for each page
        return re.sub(csrf, "", page.content.decode()).replace(email, "ADDRESS")

    assert ask("reader@example.org") == ask("stranger@example.org")
    sub = Subscriber.objects.get(email="reader@example.org")
    assert (sub.active, sub.unsubscribed_at, sub.frequency) == (False, left, "daily")

    mail = smtp.to("reader@example.org")[0].get_content()
    assert "To get the weekly dailypapers digest" in mail
    client.get(re.search(r"https://\S+(/digest/confirm/\S+)", mail).group(1))
    sub.refresh_from_db()
    assert sub.active and sub.frequency == "weekly"  # what the person who opened it asked for


def test_rerun_and_parallel_runs_send_each_digest_once(smtp, monday):
    for i in range(30):
        subscriber(f"r{i}@example.org")
    results = []

    def run():
        try:
            results.append(send())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = send()

    assert sum(r.sent for r in results) == 30 and again.sent == 0 and again.already == 30
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"r{i}@example.org" for i in range(30))
    assert Delivery.objects.filter(status="sent").count() == 30


def test_never_the_same_paper_twice(smtp, monday):
    subscriber("reader@example.org")
    send()
    feature(monday[0], TUE, upvotes=99)  # featured again on Tuesday
    feature(paper("2509.00009", title="Tuesday paper"), TUE, upvotes=1)
    send(day=TUE)
    tuesday = smtp.messages[1].get_body(("plain",)).get_content()
    assert "Tuesday paper" in tuesday and "Paper 1" not in tuesday


def test_no_digest_without_announcements_or_papers(smtp, monday):
    subscriber("reader@example.org")
    assert "no arXiv announcements" in send(day=SAT).note
    report = send(day=TUE)  # a weekday without featured papers
    assert (report.sent, report.empty) == (0, 1) and smtp.messages == []


def test_weekly_digest_and_category_picks(smtp, monday):
    paper("2509.00050", title="New in cs.CL", categories=["cs.CL"], announced=TUE)
    paper("2509.00051", title="New in cs.CV", categories=["cs.CV"], announced=TUE)
    subscriber("weekly@example.org", "weekly", categories=["cs.CL"], wants_trending=False)
    report = send("weekly", "2025-W37")
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert report.sent == 1 and "New in cs.CL" in text and "cs.CV" not in text
    assert "Paper 1" not in text  # trending not wanted
    # long headers are folded; a reader's client unfolds them
    assert smtp.messages[0]["Subject"].strip() == "Trending papers · Week 37, 2025 (8 Sep – 14 Sep)"


def test_refused_addresses_are_marked_and_dropped_after_three_tries(smtp, monday):
    subscriber("gone@example.org")
    subscriber("fine@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 No such user"
    for _ in range(3):
        Delivery.objects.filter(status="failed").update(
            claimed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
        report = send()
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.failures == 3 and "bounced 3 times" in gone.disabled_reason
    assert len(smtp.to("fine@example.org")) == 1 and report.failed == 1


def test_a_temporary_failure_is_retried_by_the_next_run(smtp, monday):
    subscriber("later@example.org")
    smtp.refuse["later@example.org"] = "451 4.3.0 Try again later"
    first = send()
    assert first.failed == 1 and Delivery.objects.get().status == "failed"
    del smtp.refuse["later@example.org"]
    second = send()
    assert second.sent == 1 and len(smtp.to("later@example.org")) == 1
    assert Subscriber.objects.get().failures == 0


def test_member_settings_subscribe_without_opt_in_and_preview(client, admin_client, monday, clock):
    clock.set(dt.datetime(2025, 9, 9, 8, tzinfo=dt.UTC))  # Tuesday: the daily covers Monday
    ada = member("ada")
    client.force_login(ada)
    client.post(
        "/digest/settings", {"frequency": "daily", "wants_trending": "on", "categories": "cs.CL"}
    )
    sub = Subscriber.objects.get(user=ada)
    assert sub.active and sub.frequency == "daily" and sub.categories == ["cs.CL"]
    mine = client.get("/digest/preview/me").content.decode()
    assert "Trending papers · Monday 8 September 2025" in mine and "Paper 1" in mine
    assert client.get("/digest/preview").status_code == 302  # operators only
    preview = admin_client.get("/digest/preview?frequency=daily").content.decode()
    assert "Trending papers · Monday 8 September 2025" in preview
    assert '<iframe title="digest preview" sandbox=""' in preview  # no script, no site origin
    assert preview.index("Paper 1") < preview.index("Paper 2") < preview.index("Paper 3")


def test_command_reports_and_dry_run_sends_nothing(smtp, monday):
    subscriber("reader@example.org")
    out = io.StringIO()
    call_command(
        "digest", "send", "--frequency", "daily", "--period", "2025-09-08", "--dry-run", stdout=out
    )
    assert "[dry run] Digest daily:2025-09-08: 1 subscribers, sent 1" in out.getvalue()
    assert smtp.messages == [] and not Delivery.objects.exists()
    call_command("digest", "send", "--frequency", "daily", "--period", "2025-09-08", stdout=out)
    assert len(smtp.messages) == 1
    assert django_mail.outbox == []  # real SMTP, not the test outbox


def test_a_failing_address_is_tried_at_most_max_attempts_runs(smtp, monday, settings):
    settings.DAILYPAPERS_DIGEST_MAX_ATTEMPTS = 3
    subscriber("flaky@example.org")
    smtp.refuse["flaky@example.org"] = "451 4.3.0 Try again later"
    tried = [send().failed for _ in range(5)]
    assert tried == [1, 1, 1, 0, 0]  # three runs tried, the next ones leave it
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", 3) and "451" in row.last_error


def _claimed(email: str, by: str, minutes_ago: float) -> Delivery:
    """A ledger row left "sending" by another run, claimed ``minutes_ago``."""
    sub = subscriber(email)
    return Delivery.objects.create(
        subscriber=sub,
        period="daily:2025-09-08",
        status=Delivery.Status.SENDING,
        message_id=f"<{email}>",
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        claimed_by=by,
    )


def test_rows_of_dead_or_timed_out_runs_are_taken_over_but_not_a_live_runs(smtp, monday):
    host = socket.gethostname()
    _claimed("dead@example.org", f"{host}:{finished_pid()}:a", minutes_ago=1)
    _claimed("stale@example.org", "elsewhere:1:b", minutes_ago=11)  # past the 10-minute lease
    _claimed("busy@example.org", f"{host}:{os.getpid()}:c", minutes_ago=1)  # alive: this one
    _claimed("remote@example.org", "elsewhere:1:d", minutes_ago=1)  # cannot tell: wait

    report = send()

    assert sorted(m["To"] for m in smtp.messages) == ["dead@example.org", "stale@example.org"]
    assert (report.sent, report.already) == (2, 2)
    assert smtp.to("dead@example.org")[0]["Message-ID"] == "<dead@example.org>"  # the same id
    taken = Delivery.objects.get(subscriber__email="stale@example.org")
    assert (taken.status, taken.attempts) == ("sent", 2)


def test_plain_text_digest_shows_tex_as_unicode(smtp):
    tex = paper(
        "2509.00042", title="$\\alpha$-divergence bounds", abstract="Rates of $O(\\sqrt{n})$."
    )
    feature(tex, MON, upvotes=5)
    subscriber("reader@example.org")
    send()
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "α-divergence bounds" in text and "O(√(n))" in text
    assert "$" not in text
