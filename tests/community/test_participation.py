"""Submitting, voting and commenting, through the pages, as members and as visitors."""

import datetime as dt
import threading
from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from dailypapers.community import services
from dailypapers.community.models import Comment, Member, Submission, Vote
from dailypapers.feed import selectors as feed
from dailypapers.feed import services as feed_services
from dailypapers.feed.models import Featured, VoteTally
from dailypapers.papers.models import Paper
from tests.arxiv_replay import ArxivReplay
from tests.conftest import run_worker
from tests.factories import PASSWORD, feature, member, paper

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 10)  # the day of the stopped clock below


@pytest.fixture(autouse=True)
def stopped(clock):
    """Every test here runs at 2025-09-10 12:00 UTC, whatever the hour of the run."""
    assert clock.today == TODAY
    return clock


def recent(arxiv_id="2509.04664", **fields):
    return paper(arxiv_id, published=timezone.now() - dt.timedelta(days=2), **fields)


# --- submit -----------------------------------------------------------------------------------


def test_submit_features_the_paper_today_with_the_member_as_submitter(client):
    ada = member("ada")
    recent(title="Why Language Models Hallucinate")
    client.force_login(ada)

    response = client.post("/submit", {"paper": "https://arxiv.org/abs/2509.04664v2"}, follow=True)

    f = Featured.objects.get()
    assert (f.day, f.submitted_by, f.source) == (TODAY, ada, "member")
    assert "is on today&#x27;s page" in response.content.decode()
    home = client.get("/").content.decode()
    assert "Why Language Models Hallucinate" in home


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "That is not an arXiv id or link"),
        ("2509.0466", "have 5 digits after the dot"),
    ],
)
def test_submit_refuses_malformed_ids(client, text, message):
    client.force_login(member("ada"))
    html = client.post("/submit", {"paper": text}).content.decode()
    assert message in html and not Featured.objects.exists()


def test_submit_refuses_already_featured_too_old_and_over_quota(client, settings):
    ada = member("ada")
    client.force_login(ada)
    earlier = recent("2509.00001")
    feature(earlier, TODAY - dt.timedelta(days=1))
    paper("2401.00001", published=timezone.now() - dt.timedelta(days=40))

    html = client.post("/submit", {"paper": "2509.00001"}).content.decode()
    assert "was already featured on" in html and 'href="/papers/2509.00001"' in html

    html = client.post("/submit", {"paper": "2401.00001"}).content.decode()
    assert "only papers from the last 14 days can be submitted" in html

    settings.DAILYPAPERS_SUBMIT_DAILY_QUOTA = 1
    recent("2509.00002")
    recent("2509.00003")
    client.post("/submit", {"paper": "2509.00002"})
    html = client.post("/submit", {"paper": "2509.00003"}).content.decode()
    assert "You have submitted 1 papers today, the daily limit" in html


@pytest.mark.django_db(transaction=True)
def test_submit_queues_a_paper_the_corpus_lacks_for_the_worker_to_fetch(client, settings):
    """No web request waits on arXiv: the page says it is fetching, and the worker fetches."""
    client.force_login(member("ada"))
    settings.DAILYPAPERS_SUBMIT_MAX_AGE_DAYS = 100_000
    with ArxivReplay() as replay:
        settings.DAILYPAPERS_ARXIV_API_URL = replay.url + "/api/query"
        settings.DAILYPAPERS_ARXIV_MIN_INTERVAL = 0  # the stopped clock never reaches 0.01 s
        ok = client.post("/submit", {"paper": "arXiv:2410.19022"})
        missing = client.post("/submit", {"paper": "2410.99999"})
        again = client.post("/submit", {"paper": "2410.99999"})  # while it is fetched
        assert replay.requests == []  # nothing asked of arXiv inside a request

        pending = client.get(ok["Location"]).content.decode()
        assert "Fetching arXiv:2410.19022 from arXiv; this takes a moment" in pending
        assert 'hx-trigger="every 2s"' in pending
        run_worker()
        assert Submission.objects.count() == 2  # the repeat is the same submission

    assert again["Location"] == missing["Location"]
    assert Paper.objects.filter(arxiv_id="2410.19022").exists()
    done = client.get(ok["Location"]).content.decode()
    assert 'href="/papers/2410.19022"' in done and "hx-trigger" not in done
    assert Featured.objects.get(paper__arxiv_id="2410.19022").submitted_by.username == "ada"
    failed = client.get(missing["Location"]).content.decode()
    assert "arXiv:2410.99999: not found on arXiv." in failed


def test_failed_and_pending_fetches_count_towards_the_daily_quota(client, settings):
    settings.DAILYPAPERS_SUBMIT_DAILY_QUOTA = 2
    ada = member("ada")
    client.force_login(ada)
    Submission.objects.create(
        user=ada, arxiv_id="2509.99998", day=TODAY, status="failed", message="not found"
    )
    client.post("/submit", {"paper": "2509.99999"})  # queued: the second of two
    recent("2509.00002")
    html = client.post("/submit", {"paper": "2509.00002"}).content.decode()
    assert "You have submitted 2 papers today, the daily limit" in html
    assert not Featured.objects.exists()


def test_a_submission_page_is_its_submitter_s_own(client):
    ada = member("ada")
    queued = Submission.objects.create(user=ada, arxiv_id="2509.99999", day=TODAY)
    client.force_login(member("grace"))
    assert client.get(f"/submit/{queued.pk}").status_code == 404


def test_visitors_are_sent_to_log_in_and_back(client):
    response = client.get("/submit")
    assert response.status_code == 302 and response["Location"] == "/accounts/login?next=/submit"


def test_unverified_members_are_asked_to_verify(client):
    client.force_login(member("ada", verified=False))
    response = client.get("/submit")
    assert response.status_code == 403 and "verify your email" in response.content.decode()


# --- votes ------------------------------------------------------------------------------------


def test_vote_and_unvote_without_javascript(client):
    p = recent()
    feature(p, TODAY, upvotes=5)
    client.force_login(member("ada"))

    r = client.post(f"/vote/{p.pk}", {"action": "up", "next": "/papers/date/" + str(TODAY)})
    assert r.status_code == 302 and r["Location"] == f"/papers/date/{TODAY}"
    client.post(f"/vote/{p.pk}", {"action": "up"})  # a second click changes nothing
    assert Vote.objects.count() == 1
    html = client.get(f"/papers/date/{TODAY}").content.decode()
    assert (
        'class="vote voted"' in html
        and 'class="votes-count">1<' in html
        and "▲&nbsp;5 upstream" in html
    )

    client.post(f"/vote/{p.pk}", {"action": "remove"})
    assert Vote.objects.count() == 0


def test_vote_with_htmx_returns_the_new_button(client):
    p = recent()
    client.force_login(member("ada"))
    r = client.post(f"/vote/{p.pk}", {"action": "up"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and html.startswith('<form class="vote voted"')
    assert 'class="votes-count">1<' in html and 'value="remove"' in html


def test_anonymous_vote_goes_to_log_in(client):
    p = recent()
    plain = client.post(f"/vote/{p.pk}", {"action": "up", "next": "/papers/2509.04664"})
    assert plain["Location"] == "/accounts/login?next=/papers/2509.04664"
    htmx = client.post(f"/vote/{p.pk}", {"next": "/trending"}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/accounts/login?next=/trending"
    assert client.get(f"/vote/{p.pk}").status_code == 405
    assert not Vote.objects.exists()


def test_next_cannot_send_people_elsewhere(client):
    p = recent()
    client.force_login(member("ada"))
    r = client.post(f"/vote/{p.pk}", {"action": "up", "next": "https://evil.example/"})
    assert r["Location"] == "/papers/2509.04664"


def test_votes_rank_the_day_and_trending(client, stopped):
    old, new = recent("2509.00001", title="Old favourite"), recent("2509.00002", title="Fresh")
    feature(old, TODAY, upvotes=10, hour=0)
    fresh = feature(new, TODAY, upvotes=0)
    fresh.featured_at = stopped.now  # featured just now
    fresh.save()
    for name in ("a1", "a2", "a3"):
        services.set_vote(member(name), new, up=True)

    votes = client.get(f"/papers/date/{TODAY}").content.decode()
    assert votes.index("Old favourite") < votes.index("Fresh")  # 10 > 3 votes
    trending = client.get("/trending").content.decode()
    # "Old favourite" is 12 hours old: 11 / 14^1.5 = 0.21 < 4 / 2^1.5 = 1.41
    assert trending.index("Fresh") < trending.index("Old favourite")
    stopped.advance(days=3)  # both old now: 11 / 86^1.5 > 4 / 74^1.5
    trending = client.get("/trending").content.decode()
    assert trending.index("Old favourite") < trending.index("Fresh")
    assert (
        "(votes + 1) / (hours since featured + 2) ^ 1.5"
        in client.get("/about/ranking").content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_many_members_voting_at_once_count_exactly():
    p = recent()
    voters = [member(f"m{i}") for i in range(12)]
    barrier = threading.Barrier(len(voters) * 2)
    errors = []

    def click(user):
        try:
            barrier.wait()
            services.set_vote(user, p, up=True)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(u,)) for u in voters for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Vote.objects.filter(paper=p).count() == 12  # double clicks counted once


# --- comments ---------------------------------------------------------------------------------


def test_comment_reply_edit_delete(client):
    p = recent()
    ada, bob = member("ada"), member("bob")
    client.force_login(ada)
    client.post(f"/comments/{p.pk}/new", {"body": "Nice *result*, see [code](https://x.org)."})
    top = Comment.objects.get()
    client.force_login(bob)
    client.post(f"/comments/{p.pk}/new", {"body": "Agreed", "parent": top.pk})
    reply = Comment.objects.get(parent=top)
    client.post(f"/comments/{p.pk}/new", {"body": "Deeper", "parent": reply.pk})
    assert Comment.objects.get(body="Deeper").parent == top  # one level deep

    html = client.get("/papers/2509.04664").content.decode()
    assert "Nice <em>result</em>" in html
    assert '<a href="https://x.org" rel="nofollow ugc noopener">code</a>' in html

    assert client.post(f"/comments/{top.pk}/edit", {"body": "hijack"}).status_code == 403
    client.post(f"/comments/{reply.pk}/edit", {"body": "Agreed, edited"})
    assert Comment.objects.get(pk=reply.pk).edited_at is not None
    client.post(f"/comments/{reply.pk}/delete")
    assert not Comment.objects.filter(pk=reply.pk).exists()


def test_deleting_a_comment_keeps_others_replies_and_moderation_evidence(client):
    p = recent()
    ada, bob = member("ada"), member("bob")
    top = services.add_comment(ada, p, "A claim")
    reply = services.add_comment(bob, p, "A reply", parent=top)
    client.force_login(ada)
    client.post(f"/comments/{top.pk}/delete")
    top.refresh_from_db()  # stays, emptied, so that the reply keeps its place
    assert top.body == services.REMOVED_BODY and Comment.objects.filter(pk=reply.pk).exists()
    assert "A reply" in client.get("/papers/2509.04664").content.decode()

    hidden = services.add_comment(ada, p, "Abuse")
    services.set_hidden(hidden, True, moderator=member("mod"))
    response = client.post(f"/comments/{hidden.pk}/delete")
    assert response.status_code == 403 and "moderator" in response.content.decode()
    assert Comment.objects.get(pk=hidden.pk).body == "Abuse"  # the evidence stays


def test_empty_comment_is_refused_with_a_message(client):
    p = recent()
    client.force_login(member("ada"))
    page = client.post(f"/comments/{p.pk}/new", {"body": "   "}, follow=True)
    assert "A comment needs some text" in page.content.decode() and not Comment.objects.exists()


class Elements(HTMLParser):
    """Every element and attribute in a piece of HTML, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="https://x" onclick="alert(1)">x</a>',
    ],
)
def test_xss_in_comments_and_titles_is_shown_as_text(client, payload):
    p = recent(title="<b>Bold</b> <script>alert('title')</script>")
    client.force_login(member("ada"))
    client.post(f"/comments/{p.pk}/new", {"body": payload})
    html = client.get("/papers/2509.04664").content.decode()

    page = Elements(html)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert all((a.get("src") or "").startswith("/static/") for a in scripts)  # ours only
    assert not [tag for tag, _ in page.tags if tag in ("img", "b")]
    for _, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")]
        assert not (attrs.get("href") or "").startswith("javascript:")
    comments = Elements(html.split('id="comments"')[1])
    assert payload.split("(")[0].replace("[", "") in comments.text.replace("[", "")
    assert "<script>alert('title')</script>" in page.text  # the title, as text


# --- moderation -------------------------------------------------------------------------------


def test_moderators_hide_and_ban_in_the_admin_with_an_audit_trail(admin_client, admin_user):
    p = recent(title="Spam paper")
    feature(p, TODAY)
    spammer = member("spammer")
    Vote.objects.create(user=spammer, paper=p)
    c = Comment.objects.create(user=spammer, paper=p, body="buy now")
    Comment.objects.create(user=member("ada"), paper=p, body="fine comment")

    admin_client.post(
        "/admin/community/member/",
        {"action": "ban", "_selected_action": [Member.objects.get(user=spammer).pk]},
    )
    html = admin_client.get("/papers/2509.04664").content.decode()
    assert "buy now" not in html and "fine comment" in html
    assert 'class="votes-count">0<' in html  # the banned member's vote stopped counting

    admin_client.post("/admin/papers/paper/", {"action": "hide", "_selected_action": [p.pk]})
    assert "Spam paper" not in admin_client.get(f"/papers/date/{TODAY}").content.decode()
    admin_client.post("/admin/community/comment/", {"action": "hide", "_selected_action": [c.pk]})
    c.refresh_from_db()
    assert c.hidden

    log = list(LogEntry.objects.values_list("user__username", "change_message"))
    assert log.count(("admin", "banned member")) == 1 and log.count(("admin", "hid")) == 2
    assert admin_client.get("/admin/admin/logentry/").status_code == 200


def test_a_ban_closes_the_account_and_lifting_it_restores_votes_and_log_in(client, admin_client):
    p = recent()
    spammer = member("spammer")
    services.set_vote(spammer, p, up=True)
    services.set_vote(member("ada"), p, up=True)
    record = Member.objects.get(user=spammer)
    change = f"/admin/community/member/{record.pk}/change/"
    assert 'name="banned"' not in admin_client.get(change).content.decode()  # read-only

    admin_client.post(
        "/admin/community/member/", {"action": "ban", "_selected_action": [record.pk]}
    )
    login = {"username": "spammer@example.org", "password": PASSWORD}
    refused = client.post("/accounts/login", login)
    assert "not right" in refused.content.decode() and "_auth_user_id" not in client.session
    assert 'class="votes-count">1<' in client.get("/papers/2509.04664").content.decode()

    admin_client.post(
        "/admin/community/member/", {"action": "unban", "_selected_action": [record.pk]}
    )
    assert client.post("/accounts/login", login).status_code == 302  # logged in
    assert 'class="votes-count">2<' in client.get("/papers/2509.04664").content.decode()
    log = list(LogEntry.objects.values_list("change_message", flat=True))
    assert log.count("banned member") == log.count("unbanned member") == 1


def test_operators_cannot_be_banned_from_the_admin(admin_client, admin_user):
    operator = Member.objects.create(user=admin_user, email_verified=True)
    admin_client.post(
        "/admin/community/member/", {"action": "ban", "_selected_action": [operator.pk]}
    )
    operator.refresh_from_db()
    assert not operator.banned


def test_only_an_operator_bans_staff(client, admin_client):
    moderator, colleague = member("moderator"), member("colleague")
    for user in (moderator, colleague):
        user.is_staff = True
        user.save()
    moderator.user_permissions.set(
        Permission.objects.filter(codename__in=["view_member", "change_member"])
    )
    member("spammer")
    client.force_login(moderator)

    def act(as_whom, action: str, *names: str) -> dict[str, bool]:
        chosen = Member.objects.filter(user__username__in=names)
        as_whom.post(
            "/admin/community/member/",
            {"action": action, "_selected_action": [m.pk for m in chosen]},
        )
        return dict(chosen.values_list("user__username", "banned"))

    assert act(client, "ban", "colleague", "spammer") == {"colleague": False, "spammer": True}
    assert act(admin_client, "ban", "colleague") == {"colleague": True}
    assert act(client, "unban", "colleague") == {"colleague": True}  # nor lets them back


def test_tallies_follow_every_way_a_vote_comes_or_goes(client):
    p, other = recent(), recent("2509.00009")
    ada, bob = member("ada"), member("bob")
    for user in (ada, bob):
        services.set_vote(user, p, up=True)
    services.set_vote(ada, p, up=True)  # a double click counts once
    services.set_vote(ada, other, up=True)
    assert feed.vote_totals([p.pk, other.pk]) == {p.pk: 2, other.pk: 1}

    services.set_vote(bob, p, up=False)
    assert feed.vote_totals([p.pk]) == {p.pk: 1}
    ada.delete()  # an account's deletion takes its votes along
    assert feed.vote_totals([p.pk, other.pk]) == {p.pk: 0, other.pk: 0}
    other.delete()  # and a paper's deletion its tally
    assert not VoteTally.objects.filter(paper_id=other.pk).exists()


def test_operators_created_on_the_command_line_can_take_part(admin_client):
    p = recent()
    admin_client.post(f"/vote/{p.pk}", {"action": "up"})
    assert Vote.objects.filter(paper=p).count() == 1


def test_staff_who_may_only_view_cannot_hide_or_ban(client):
    viewer = member("viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_comment", "view_member", "view_paper"])
    )
    spammer = Member.objects.get(user=member("spammer"))
    spam = recent(title="Spam paper")
    comment = Comment.objects.create(paper=spam, user=spammer.user, body="buy now")
    client.force_login(viewer)

    for url, action, pk in (
        ("/admin/community/member/", "ban", spammer.pk),
        ("/admin/community/comment/", "hide", comment.pk),
        ("/admin/papers/paper/", "hide", spam.pk),
    ):
        assert client.get(url).status_code == 200  # they may look
        client.post(url, {"action": action, "_selected_action": [pk]})
    spammer.refresh_from_db(), comment.refresh_from_db(), spam.refresh_from_db()
    assert not (spammer.banned or comment.hidden or spam.hidden)


def test_a_fetch_run_again_after_its_worker_died_says_featured():
    """Killed between featuring the paper and saying so, the task runs again (the worker's
    sweep): the paper is featured already, by this very submission."""
    ada = member("ada")
    p = recent("2509.01111")
    queued = Submission.objects.create(user=ada, arxiv_id=p.arxiv_id, day=TODAY)
    feed_services.feature(p, TODAY, Featured.Source.MEMBER, submitted_by=ada)

    services.fetch_submission(queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.message) == ("featured", "")
