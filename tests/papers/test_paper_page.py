import datetime as dt

import pytest

from tests.factories import feature, paper

pytestmark = pytest.mark.django_db


def test_paper_page_shows_everything_a_reader_needs(client):
    p = paper(
        "2509.04664",
        title="Why $\\mathcal{L}$ Models Hallucinate",
        authors=["Adam Tauman Kalai", "Ofir Nachum"],
        version=2,
        doi="10.1000/xyz",
        journal_ref="J. Hallucination 1 (2025)",
        comments="12 pages",
        code_url="https://github.com/example/code",
        github_stars=1234,
        project_url="https://example.org/project",
        ai_summary="Models guess when unsure.",
        ai_keywords=["hallucination", "language models"],
        organization="openai",
        organization_fullname="OpenAI",
    )
    feature(p, dt.date(2025, 9, 8), upvotes=27, comments=3)

    response = client.get("/papers/2509.04664")

    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Why $\\mathcal{L}$ Models Hallucinate",  # left for KaTeX to render
        '<a href="/authors/Adam%20Tauman%20Kalai">Adam Tauman Kalai</a>, '
        '<a href="/authors/Ofir%20Nachum">Ofir Nachum</a>',  # each author's page
        "https://arxiv.org/abs/2509.04664v2",
        "https://arxiv.org/pdf/2509.04664v2",
        "https://doi.org/10.1000/xyz",
        "J. Hallucination 1 (2025)",
        "Computation and Language (cs.CL)",
        'href="/papers/date/2025-09-08"',
        "27 upvotes, 3 comments",
        "https://github.com/example/code",
        "★ 1234",
        "https://example.org/project",
        '<span class="ai-label">AI summary (Hugging Face)</span> Models guess when unsure.',
        '<a class="chip keyword" href="/search?q=language%20models">language models</a>',
        "Ofir Nachum</a> · <span",
        ">OpenAI</span>",
        "vendor/katex/katex.min.js",
    ]:
        assert text in html, text


def test_old_style_ids_have_pages(client):
    paper("hep-th/9901001", title="Old style")
    assert client.get("/papers/hep-th/9901001").status_code == 200


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/papers/2509.04664v3", "/papers/2509.04664"),
        ("/papers/arXiv:2509.04664", "/papers/2509.04664"),
        ("/papers/math.CA/0611800v2", "/papers/math/0611800"),
    ],
)
def test_other_forms_of_an_id_redirect_to_the_canonical_page(client, url, canonical):
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == canonical


def test_unknown_paper_is_a_404_that_links_to_arxiv(client):
    response = client.get("/papers/2509.99999")
    assert response.status_code == 404
    assert "https://arxiv.org/abs/2509.99999" in response.content.decode()


@pytest.mark.parametrize("url", ["/papers/garbage", "/papers/2509.1", "/papers/<script>"])
def test_malformed_id_is_a_readable_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not an arXiv id" in html and "<script>" not in html.split("<main")[1]


def test_unknown_address_gets_the_site_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_operator_finds_papers_in_the_admin(admin_client):
    paper("2509.04664", title="Why Language Models Hallucinate")
    response = admin_client.get("/admin/papers/paper/?q=Hallucinate")
    assert response.status_code == 200 and "2509.04664" in response.content.decode()
    assert admin_client.get("/admin/feed/featured/").status_code == 200


def test_a_hidden_paper_cannot_be_opened_voted_or_commented(client):
    from django.test import Client

    from dailypapers.community.models import Comment, Vote
    from tests.factories import member

    p = paper("2509.04665", title="Spam that a moderator hid", hidden=True)
    response = client.get("/papers/2509.04665")
    assert response.status_code == 404
    text = response.content.decode()
    assert "hidden" in text and "Spam that a moderator hid" not in text
    ada = Client(HTTP_HOST="localhost")
    ada.force_login(member("ada"))
    assert ada.post(f"/vote/{p.pk}", {"action": "up"}).status_code == 404
    assert ada.post(f"/comments/{p.pk}/new", {"body": "hello"}).status_code == 404
    assert not Vote.objects.exists() and not Comment.objects.exists()
