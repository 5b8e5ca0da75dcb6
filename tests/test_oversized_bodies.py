"""Oversized input is refused with a clear 4xx, never a 500: bodies over Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (413), library uploads over their limit (413, before the file is
read), the API's JSON bodies (413), and over-long comments, searches and submitted ids (400,
or the form's own message), with nothing stored."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import uploadhandler
from django.test import Client

from dailypapers.api import tokens
from dailypapers.community.models import Comment
from dailypapers.library.models import Entry
from dailypapers.library.views import MAX_IMPORT
from dailypapers.papers.models import Paper
from dailypapers.search.query import MAX_QUERY
from tests import factories

pytestmark = pytest.mark.django_db
FORM_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.fixture
def paper() -> Paper:
    return factories.paper("2509.00001")


@pytest.fixture
def member(settings) -> Client:
    settings.RATELIMIT_ENABLE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client(HTTP_HOST="localhost")
    client.force_login(factories.member("ada"))
    return client


@pytest.fixture
def token(member: Client) -> dict[str, str]:
    raw = tokens.create(User.objects.get(username="ada"), "oversized")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _too_large(response) -> None:
    assert response.status_code == 413
    assert b"Too large" in response.content and b"more than the site takes" in response.content


def test_a_form_body_over_the_limit_is_a_413_page(member: Client, paper: Paper) -> None:
    body = {"body": "x" * (FORM_LIMIT + 1)}
    _too_large(member.post(f"/comments/{paper.pk}/new", body))
    assert not Comment.objects.exists()


def test_a_form_body_over_the_limit_is_refused_before_the_csrf_check_reads_it(paper) -> None:
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32  # a browser's: the check then reads the form
    _too_large(client.post("/accounts/login", {"username": "x" * (FORM_LIMIT + 1)}))


@pytest.mark.parametrize(
    "size",
    [MAX_IMPORT + 1, settings.DAILYPAPERS_UPLOAD_MAX_SIZE + 1],
    ids=["over the import limit", "over the upload limit: refused unread"],
)
def test_a_library_upload_over_its_limit_is_a_413(member: Client, paper: Paper, size) -> None:
    upload = io.BytesIO(b"@misc{k, eprint = {2509.00001}}\n" + b" " * size)
    _too_large(member.post("/library/import", {"file": upload}))
    assert not Entry.objects.exists()


def test_an_upload_over_the_limit_is_not_read(member: Client, monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("the oversized upload was read")

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", never)
    big = io.BytesIO(b" " * (settings.DAILYPAPERS_UPLOAD_MAX_SIZE + 1))
    _too_large(member.post("/library/import", {"file": big}))


def test_an_api_body_over_the_limit_is_a_413_in_json(paper, token) -> None:
    client = Client(HTTP_HOST="localhost")
    body = json.dumps({"body": "x" * FORM_LIMIT})
    response = client.post(
        "/api/v1/papers/2509.00001/comments", body, content_type="application/json", **token
    )
    assert response.status_code == 413
    assert "larger than this API takes" in response.json()["error"]
    assert not Comment.objects.exists()


def test_a_comment_over_10000_characters_is_refused(member: Client, paper: Paper, token) -> None:
    response = member.post(f"/comments/{paper.pk}/new", {"body": "x" * 10_001}, follow=True)
    assert b"at most 10,000 characters" in response.content
    api = member.post(
        "/api/v1/papers/2509.00001/comments",
        {"body": "x" * 10_001},
        content_type="application/json",
        **token,
    )
    assert api.status_code == 400 and "body" in api.json()["error"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("address", "longest"),
    [
        ("/search", MAX_QUERY),
        ("/api/v1/search", MAX_QUERY),
        ("/feeds/search.rss", MAX_QUERY),
        ("/api/papers/search", 250),  # as Hugging Face's
    ],
)
def test_a_search_over_its_length_is_a_400_that_says_so(member: Client, address, longest) -> None:
    assert member.get(address, {"q": "x" * longest}).status_code == 200
    response = member.get(address, {"q": "x" * (longest + 1)})
    assert response.status_code == 400
    assert f"{longest} characters".encode() in response.content


def test_a_submitted_id_over_its_length_is_refused(member: Client, token) -> None:
    page = member.post("/submit", {"paper": "x" * 201})
    assert b"at most 200 characters" in page.content
    api = member.post(
        "/api/v1/submissions", {"paper": "x" * 301}, content_type="application/json", **token
    )
    assert api.status_code == 400 and "paper" in api.json()["error"]
    assert not Paper.objects.exists()


def test_too_many_form_fields_are_a_400_page(member: Client, paper: Paper) -> None:
    fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = member.post(
        f"/comments/{paper.pk}/new", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and b"could not be understood" in response.content
