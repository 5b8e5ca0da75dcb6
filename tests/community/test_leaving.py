"""A member downloads all their data as one JSON file and deletes their account, choosing what
becomes of their comments."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dailypapers.api import tokens
from dailypapers.community import services
from dailypapers.community.models import Comment
from dailypapers.digest import services as digest
from dailypapers.feed.models import Featured, VoteTally
from dailypapers.library import services as library
from dailypapers.library.models import Collection
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paper = factories.paper("1706.03762", title="Attention Is All You Need")
    other = factories.paper("1512.03385", title="Residual")
    ada, bob = factories.member("ada"), factories.member("bob")
    services.set_vote(ada, paper, True)
    services.set_vote(bob, paper, True)
    answered = services.add_comment(ada, paper, "Read this.")
    services.add_comment(bob, paper, "Agreed.", parent=answered)
    lonely = services.add_comment(ada, other, "Nobody answered.")
    services.add_comment(ada, other, "My own reply.", parent=lonely)
    group = library.create(ada, "Group", public=True)
    library.add(group, paper)
    _, raw = tokens.create(ada, "laptop")
    ada.raw_token = raw  # for the test that the download holds no secret
    digest.subscribe_member(ada, "weekly", True, ["cs.CL"])
    Featured.objects.create(
        paper=other,
        day=dt.date(2025, 9, 8),
        source="member",
        submitted_by=ada,
        featured_at=dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC),
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    return paper, other, ada, bob, client


def test_download_every_kind_of_data(world):
    _, _, ada, _, client = world
    r = client.get("/accounts/data")
    assert r["Content-Disposition"] == 'attachment; filename="dailypapers-ada.json"'
    data = json.loads(r.content)
    assert data["account"]["username"] == "ada" and data["account"]["email_verified"]
    assert [v["paper"] for v in data["votes"]] == ["1706.03762"]
    assert [c["body"] for c in data["comments"]] == [
        "Read this.",
        "Nobody answered.",
        "My own reply.",
    ]
    assert data["submissions"] == [{"paper": "1512.03385", "day": "2025-09-08"}]
    names = {c["name"] for c in data["library"]["collections"]}
    assert names == {"Group"}
    assert data["digest"]["frequency"] == "weekly" and data["digest"]["categories"] == ["cs.CL"]
    assert [t["name"] for t in data["api_tokens"]] == ["laptop"]
    assert ada.raw_token not in r.content.decode()
    assert Client(HTTP_HOST="localhost").get("/accounts/data").status_code == 302  # log in


def test_delete_keeping_comments_under_deleted_member(world):
    paper, _, ada, _, client = world
    assert client.post("/accounts/delete", {"password": "wrong"}).status_code == 200
    assert get_user_model().objects.filter(pk=ada.pk).exists()

    r = client.post("/accounts/delete", {"password": factories.PASSWORD, "comments": "keep"})
    assert r.status_code == 302
    assert not get_user_model().objects.filter(username="ada").exists()
    assert VoteTally.objects.get(paper=paper).members == 1  # ada's vote no longer counts
    assert not Collection.objects.exists()
    kept = Comment.objects.filter(user=None).order_by("created_at")
    assert [c.body for c in kept] == ["Read this.", "Nobody answered.", "My own reply."]
    page = Client(HTTP_HOST="localhost").get("/papers/1706.03762").content.decode()
    assert "deleted member" in page and "Agreed." in page
    assert Featured.objects.get(paper__arxiv_id="1512.03385").submitted_by is None


def test_delete_removing_comments_keeps_others_replies(world):
    *_, client = world
    client.post("/accounts/delete", {"password": factories.PASSWORD, "comments": "remove"})
    left = {(c.user.username if c.user else None, c.body) for c in Comment.objects.all()}
    # Bob's reply keeps its place under an emptied comment; the rest of ada's is gone.
    assert left == {(None, services.REMOVED_BODY), ("bob", "Agreed.")}
    assert Comment.objects.get(body="Agreed.").parent.body == services.REMOVED_BODY
