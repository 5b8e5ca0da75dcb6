"""What readers and moderators see of the upstreams a site follows: each upstream's upvotes on
the cards and the paper page, who featured a paper, how votes count (/about/ranking), what an
empty site waits for, and the admin where a moderator hides an upstream's featuring."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.community import services as community
from dailypapers.feed import selectors as feed
from dailypapers.feed import services
from dailypapers.feed.models import Featured, Upstream, UpstreamFeature
from tests.factories import feature, member, paper, upstream_feature

pytestmark = pytest.mark.django_db

MON = dt.date(2025, 9, 8)
TUE = dt.date(2025, 9, 9)
PEER = "https://papers.example.org"  # another dailypapers site


def card(page: str, p) -> str:
    return re.search(rf'<article class="card" id="card-{p.pk}">.*?</article>', page, re.S)[0]


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags out (inline ones with no space), entities
    read, spaces collapsed."""
    inline = re.sub(r"</?(a|span|code|strong|em|svg|path|circle|ellipse|g)\b[^>]*>", "", fragment)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


# --- the selector ---------------------------------------------------------------------------


def test_upstream_votes_are_each_upstreams_best_visible_count_in_one_query():
    p, q, alone = paper(), paper(), paper()
    upstream_feature(p, MON, upvotes=85)
    upstream_feature(p, TUE, upvotes=90)  # its best featuring counts
    upstream_feature(p, MON, upvotes=40, url=PEER, counted_upvotes=12)
    hidden = upstream_feature(q, MON, upvotes=500)
    upstream_feature(q, MON, upvotes=7, url=PEER)
    services.hide_upstream_features([hidden])
    feature(alone, MON, upvotes=3)  # featured without an upstream's row

    with CaptureQueriesContext(connection) as queries:
        found = feed.upstream_votes([p.pk, q.pk, alone.pk])
    assert len(queries) == 1

    assert [(v.name, v.upvotes) for v in found[p.pk]] == [
        ("Hugging Face", 90),
        ("papers.example.org", 40),  # as the upstream shows it, not the part counted here
    ]
    assert found[p.pk][0].page == f"https://huggingface.co/papers/{p.arxiv_id}"
    assert found[p.pk][1].page == f"{PEER}/papers/{p.arxiv_id}"
    assert [(v.name, v.upvotes) for v in found[q.pk]] == [("papers.example.org", 7)]
    assert alone.pk not in found


# --- cards ----------------------------------------------------------------------------------


def test_a_card_shows_members_votes_and_each_upstreams(client):
    p = paper(title="Counted twice over")
    upstream_feature(p, MON, upvotes=85, submitted_by="akhaliq")
    upstream_feature(p, MON, upvotes=30, url=PEER, counted_upvotes=4)
    community.set_vote(member("ada"), p, up=True)

    shown = card(client.get(f"/papers/date/{MON}").content.decode(), p)

    assert re.search(r'class="votes-count">1<', shown)  # the members' vote button
    assert "▲ 85 on Hugging Face" in text(shown)
    assert "▲ 30 on papers.example.org" in text(shown)
    assert f'href="https://huggingface.co/papers/{p.arxiv_id}"' in shown
    assert f'href="{PEER}/papers/{p.arxiv_id}"' in shown
    assert "HF " not in text(shown)
    # Ranked by members' votes plus the part of each upstream's counted here: 1 + 85 + 4.
    assert feed.vote_totals([p.pk]) == {p.pk: 90}


def test_a_hidden_upstream_featuring_is_neither_shown_nor_counted(client):
    p, other = paper(title="Partly hidden"), paper(title="Other")
    upstream_feature(p, MON, upvotes=85)
    spam = upstream_feature(p, MON, upvotes=900, url=PEER)
    upstream_feature(other, MON, upvotes=100)
    assert feed.vote_totals([p.pk]) == {p.pk: 985}

    services.hide_upstream_features([spam])

    page = client.get(f"/papers/date/{MON}").content.decode()
    assert "papers.example.org" not in text(card(page, p))
    assert "▲ 85 on Hugging Face" in text(card(page, p))
    assert feed.vote_totals([p.pk]) == {p.pk: 85}
    assert page.index(f'id="card-{other.pk}"') < page.index(f'id="card-{p.pk}"')  # 100 > 85


def test_cards_rendered_in_a_template_show_upstreams_too(client, clock):
    p = paper(title="Trending now")
    upstream_feature(p, timezone.localdate(), upvotes=85)
    page = client.get("/trending").content.decode()
    assert "▲ 85 on Hugging Face" in text(card(page, p))


def test_a_card_without_an_upstreams_row_shows_the_imported_total(client):
    p = paper()
    feature(p, MON, upvotes=5)  # featured with a count, no upstream's row (an old import)
    assert "▲ 5 upstream" in text(card(client.get(f"/papers/date/{MON}").content.decode(), p))


def test_cards_show_no_emoji_icons(client):
    p = paper(code_url="https://github.com/x/y", project_url="https://example.org/p")
    upstream_feature(p, MON, upvotes=1)
    shown = card(client.get(f"/papers/date/{MON}").content.decode(), p)
    assert not re.search("[\U0001f000-\U0001faff]", shown)  # an emoji: a box without its font
    assert '<span class="icon icon-code" aria-hidden="true"></span>Code' in shown
    assert '<span class="icon icon-globe" aria-hidden="true"></span>Project' in shown
    assert "Code" in text(shown) and "Project" in text(shown)


@pytest.mark.django_db(transaction=True)
def test_a_page_of_cards_reads_the_upstreams_once_cold_and_never_warm(clock):
    """Transactional: the page cache keeps nothing inside a transaction."""
    today = timezone.localdate()
    papers = [paper(title=f"Paper {i}") for i in range(6)]
    for i, p in enumerate(papers):
        upstream_feature(p, today, upvotes=10 + i)
        upstream_feature(p, today, upvotes=i, url=PEER)
    visitor = Client(HTTP_HOST="localhost")

    def upstream_reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert visitor.get(f"/papers/date/{today}").status_code == 200
        return sum("feed_upstreamfeature" in q["sql"] for q in queries.captured_queries)

    assert upstream_reads() == 1  # one query for every card of the page
    assert upstream_reads() == 0  # the cards come from the cache


# --- the paper page -------------------------------------------------------------------------


def test_the_paper_page_says_who_featured_it_each_day(client):
    p = paper()
    upstream_feature(p, TUE, upvotes=85, comments=3, submitted_by="akhaliq")
    upstream_feature(p, TUE, upvotes=1, comments=1, url=PEER)
    ada = member("ada")
    Featured.objects.create(
        paper=p, day=MON, source="member", submitted_by=ada, featured_at=timezone.now()
    )
    rule_day = dt.date(2025, 9, 5)
    Featured.objects.create(paper=p, day=rule_day, source="rule", featured_at=timezone.now())
    hidden = upstream_feature(p, rule_day, upvotes=9, url=PEER)
    services.hide_upstream_features([hidden])

    page = client.get(p.get_absolute_url()).content.decode()
    details = text(re.search(r'<section class="facts">.*?</section>', page, re.S)[0])

    assert (
        "Tuesday, 9 September 2025 · featured by Hugging Face (submitted by akhaliq) · "
        "85 upvotes, 3 comments; featured by papers.example.org · 1 upvote, 1 comment"
    ) in details
    assert "Monday, 8 September 2025 · submitted by ada" in details
    assert "Friday, 5 September 2025 · operator rule Primary" in details  # the hidden one: gone
    assert f'<a href="https://huggingface.co/papers/{p.arxiv_id}" rel="noopener nofollow">' in page
    assert f'<a href="{PEER}/papers/{p.arxiv_id}" rel="noopener nofollow">' in page
    actions = text(re.search(r'<div class="paper-actions">.*?</div>', page, re.S)[0])
    assert "▲ 85 on Hugging Face" in actions and "▲ 1 on papers.example.org" in actions
    assert "HF " not in text(page)


# --- how votes count ------------------------------------------------------------------------


def test_about_ranking_publishes_how_upstream_votes_count(client, settings):
    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co", PEER]
    about = text(client.get("/about/ranking").content.decode())
    assert "votes = members' upvotes here + the upvotes on each upstream followed" in about
    assert "only the upvotes its own members cast count" in about
    assert "a vote relayed through two sites counts once" in about
    assert "A featuring that a moderator hid here counts for nothing" in about
    assert (
        f"This site follows Hugging Face (https://huggingface.co) and papers.example.org ({PEER})."
    ) in about

    settings.DAILYPAPERS_UPSTREAMS = []
    assert "This site follows no upstream" in text(client.get("/about/ranking").content.decode())


# --- an empty site --------------------------------------------------------------------------


def test_an_empty_site_waits_for_an_upstream_never_synced(client, settings):
    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co"]
    response = client.get("/")
    assert response.status_code == 200
    shown = text(response.content.decode())
    assert "Waiting for Hugging Face's daily papers" in shown
    assert (
        "The first sync of Hugging Face runs as soon as dailypapers up has started its worker"
        in shown
    )


def test_an_empty_site_says_when_it_last_tried_a_failing_upstream(client, settings, clock):
    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co", PEER]
    tried = timezone.now() - dt.timedelta(minutes=25)
    Upstream.objects.create(
        url="https://huggingface.co", name="Hugging Face", last_error_at=tried, last_error="x"
    )
    response = client.get("/")
    assert response.status_code == 200
    shown = text(response.content.decode())
    assert "Waiting for the daily papers of Hugging Face and papers.example.org" in shown
    assert (
        "Could not reach Hugging Face yet (last tried 11:35 UTC); it tries again every hour."
    ) in shown
    assert "The first sync of papers.example.org runs as soon as" in shown
    assert "Traceback" not in shown and "x" not in re.findall(r"\w+", shown)  # no error text

    Upstream.objects.filter(url="https://huggingface.co").update(
        last_success_at=timezone.now() - dt.timedelta(days=1), last_counts={"read": 0}
    )
    shown = text(client.get("/").content.decode())
    assert "Could not reach Hugging Face at its last sync (last tried 11:35 UTC)" in shown

    Upstream.objects.filter(url="https://huggingface.co").update(last_success_at=timezone.now())
    shown = text(client.get("/").content.decode())
    assert "Hugging Face was read at 12:00 UTC, with no paper to feature yet" in shown


def test_an_empty_site_following_no_upstream_tells_the_operator_how(client, settings):
    settings.DAILYPAPERS_UPSTREAMS = []
    response = client.get("/")
    assert response.status_code == 200
    shown = text(response.content.decode())
    assert "this site follows no upstream" in shown
    assert "DAILYPAPERS_UPSTREAMS" in shown and "dailypapers sync" in shown


def test_a_site_with_papers_shows_them_not_the_wait(client, settings):
    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co"]
    upstream_feature(paper(title="Here at last"), MON, upvotes=2)
    shown = text(client.get("/").content.decode())
    assert "Here at last" in shown and "Waiting for" not in shown


# --- the admin ------------------------------------------------------------------------------


def test_the_admin_lists_upstreams_and_their_featurings(admin_client, settings):
    settings.DAILYPAPERS_UPSTREAMS = ["https://huggingface.co"]
    p = paper("2509.04664")
    upstream_feature(p, MON, upvotes=85, submitted_by="akhaliq")
    Upstream.objects.filter(url="https://huggingface.co").update(
        last_error_at=timezone.now(), last_error="HTTP 503", last_counts={"days": 1, "read": 9}
    )
    upstream_feature(paper(), MON, url=PEER)  # followed no more

    listing = admin_client.get("/admin/feed/upstream/")
    assert listing.status_code == 200
    rows = text(listing.content.decode())
    assert "Hugging Face https://huggingface.co" in rows and "HTTP 503" in rows
    assert "days 1, read 9" in rows
    page = listing.content.decode()
    assert page.count('alt="True"') == 1 and page.count('alt="False"') == 1  # following
    assert admin_client.get("/admin/feed/upstream/add/").status_code == 403

    features = admin_client.get("/admin/feed/upstreamfeature/", {"q": "2509.04664"})
    assert features.status_code == 200
    shown = text(features.content.decode())
    assert "akhaliq" in shown and "Hide this upstream's featuring" in shown
    assert "1 upstream feature" in shown or "1 result" in shown
    for name in ("upstream__id__exact", "hidden__exact", "day__gte"):
        assert name in features.content.decode()  # the filters


def test_a_moderator_hides_an_upstreams_featuring_and_shows_it_again(admin_client, client):
    alone = paper(title="Only upstream")
    row = upstream_feature(alone, MON, upvotes=85)
    both = paper(title="Member too")
    ada = member("ada")
    Featured.objects.create(
        paper=both, day=MON, source="member", submitted_by=ada, featured_at=timezone.now()
    )
    other = upstream_feature(both, MON, upvotes=40)
    assert Featured.objects.get(paper=both).imported_upvotes == 40

    response = admin_client.post(
        "/admin/feed/upstreamfeature/",
        {"action": "hide", "_selected_action": [row.pk, other.pk]},
        follow=True,
    )
    assert "Hid 2 upstream featuring(s)" in response.content.decode()

    assert not Featured.objects.filter(paper=alone).exists()  # no one else featured it
    assert Featured.objects.get(paper=both).imported_upvotes == 0  # the member's stays
    day = client.get(f"/papers/date/{MON}").content.decode()
    assert "Only upstream" not in day and "Member too" in day
    assert "on Hugging Face" not in text(day)
    assert UpstreamFeature.objects.filter(hidden=True).count() == 2
    assert LogEntry.objects.filter(change_message="hid").count() == 2  # the audit trail

    admin_client.post(
        "/admin/feed/upstreamfeature/", {"action": "show", "_selected_action": [row.pk]}
    )
    assert Featured.objects.get(paper=alone).imported_upvotes == 85
    assert "▲ 85 on Hugging Face" in text(client.get(f"/papers/date/{MON}").content.decode())


def test_a_moderator_without_the_change_permission_cannot_hide(client):
    from django.contrib.auth.models import Permission

    row = upstream_feature(paper(), MON, upvotes=5)
    viewer = member("mod")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_upstreamfeature"))
    client.force_login(viewer)
    assert client.get("/admin/feed/upstreamfeature/").status_code == 200
    client.post("/admin/feed/upstreamfeature/", {"action": "hide", "_selected_action": [row.pk]})
    assert not UpstreamFeature.objects.get(pk=row.pk).hidden
