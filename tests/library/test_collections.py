"""Collections end to end: saving from cards and the paper page (htmx and plain forms),
managing and sharing, public pages, feeds and API, and export/import without loss."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import feedparser
import pytest
from django.test import Client

from dailypapers.community import services as community
from dailypapers.library import formats, selectors, services
from dailypapers.library.models import Collection
from tests import factories

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2025, 9, 8)


@pytest.fixture
def papers():
    made = [
        factories.paper(
            "1706.03762",
            title="Attention Is All You Need",
            authors=["Ashish Vaswani", "Noam Shazeer"],
            published=dt.datetime(2017, 6, 12, tzinfo=dt.UTC),
        ),
        factories.paper(
            "1512.03385",
            title="Deep Residual Learning & $\\mathcal{O}(1)$ Tricks",
            authors=["Kaiming He"],
            categories=["cs.CV"],
            primary_category="cs.CV",
            published=dt.datetime(2015, 12, 10, tzinfo=dt.UTC),
        ),
        factories.paper("hep-th/9901001", title="An old one", authors=["Edward Witten"]),
    ]
    for p in made:
        factories.feature(p, MONDAY)
    return made


@pytest.fixture
def ada():
    return factories.member("ada")


@pytest.fixture
def client(ada) -> Client:
    c = Client(HTTP_HOST="localhost")
    c.force_login(ada)
    return c


def test_save_from_a_card_with_htmx_and_without(papers, ada, client):
    attention = papers[0]
    page = client.get(f"/papers/date/{MONDAY.isoformat()}").content.decode()
    assert f'action="/save/{attention.pk}"' in page and "☆ Save" in page

    r = client.post(f"/save/{attention.pk}", HTTP_HX_REQUEST="true")
    assert "★ Saved" in r.content.decode() and 'value="remove"' in r.content.decode()
    assert selectors.saved_ids(ada, [attention.pk]) == {attention.pk}
    assert "★ Saved" in client.get(f"/papers/date/{MONDAY.isoformat()}").content.decode()

    r = client.post(f"/save/{attention.pk}", {"action": "remove", "next": "/trending"})
    assert r.status_code == 302 and r["Location"] == "/trending"
    assert selectors.saved_ids(ada, [attention.pk]) == set()
    assert Client(HTTP_HOST="localhost").post(f"/save/{attention.pk}").status_code == 302  # log in


def test_the_paper_page_puts_a_paper_in_chosen_collections(papers, ada, client):
    attention = papers[0]
    group = services.create(ada, "Reading group")
    r = client.post(f"/collect/{attention.pk}", {"collection": [group.pk], "new": "Transformers"})
    assert r.status_code == 302
    names = {c.name for c in Collection.objects.filter(entries__paper=attention)}
    assert names == {"Reading group", "Transformers"}
    page = client.get("/papers/1706.03762").content.decode()
    assert re.search(rf'value="{group.pk}" checked', page)
    client.post(f"/collect/{attention.pk}", {})  # nothing ticked: out of every collection
    assert not Collection.objects.filter(entries__paper=attention).exists()


def test_manage_share_and_delete(papers, ada, client):
    c = services.create(ada, "Reading group")
    services.add(c, papers[0])
    assert services.create(ada, "Reading group").slug == "reading-group-2"
    r = client.post(
        c.get_absolute_url(),
        {"action": "update", "name": "Group", "description": "Mondays.", "public": "on"},
    )
    c.refresh_from_db()
    assert r.status_code == 302 and (c.name, c.description, c.public) == ("Group", "Mondays.", True)

    anonymous = Client(HTTP_HOST="localhost")
    shared = anonymous.get(c.public_url)
    assert shared.status_code == 200 and "Attention Is All You Need" in shared.content.decode()
    assert anonymous.get(c.get_absolute_url()).status_code == 302  # the manage page: log in
    bob = Client(HTTP_HOST="localhost")
    bob.force_login(factories.member("bob"))
    assert bob.get(c.get_absolute_url()).status_code == 404  # not his

    client.post(c.get_absolute_url(), {"action": "update", "name": "Group", "description": ""})
    assert anonymous.get(c.public_url).status_code == 404  # private again

    saved = services.saved_collection(ada)
    client.post(saved.get_absolute_url(), {"action": "delete"})
    assert Collection.objects.filter(pk=saved.pk).exists()  # "Saved" stays
    client.post(c.get_absolute_url(), {"action": "delete"})
    assert not Collection.objects.filter(pk=c.pk).exists()


def test_only_verified_members_share_and_banned_members_collections_vanish(papers, ada):
    newcomer = factories.member("newcomer", verified=False)
    c = services.create(newcomer, "Mine")
    other = Client(HTTP_HOST="localhost")
    other.force_login(newcomer)
    other.post(c.get_absolute_url(), {"action": "update", "name": "Mine", "public": "on"})
    c.refresh_from_db()
    assert not c.public

    url = services.create(ada, "Public", public=True).public_url
    assert Client(HTTP_HOST="localhost").get(url).status_code == 200
    community.ban(ada.member, factories.member("mod"))
    assert Client(HTTP_HOST="localhost").get(url).status_code == 404


def test_hidden_papers_are_not_shown_but_stay_in_the_export(papers, ada):
    c = services.saved_collection(ada)
    for p in papers:
        services.add(c, p)
    papers[2].hidden = True
    papers[2].save()
    assert [p.arxiv_id for p in selectors.papers_in(c)] == ["1512.03385", "1706.03762"]
    assert selectors.collections_of(ada).get().size == 2
    exported = json.loads(formats.to_json([c]))
    assert {p["id"] for p in exported["collections"][0]["papers"]} == {
        "1706.03762",
        "1512.03385",
        "hep-th/9901001",
    }


def test_export_and_import_back_without_loss(papers, ada, client):
    group = services.create(ada, "Reading group", "Mondays at 10.", public=True)
    for p in papers[:2]:
        services.add(group, p)
    services.add(services.saved_collection(ada), papers[2])
    exported = client.get("/library/export.json")
    assert exported["Content-Disposition"] == 'attachment; filename="library.json"'

    bob = factories.member("bob")
    bob_client = Client(HTTP_HOST="localhost")
    bob_client.force_login(bob)
    upload = io.BytesIO(exported.content)
    upload.name = "library.json"
    r = bob_client.post("/library/import", {"file": upload}, follow=True)
    assert "Imported 3 new paper(s) into 2 collection(s)." in r.content.decode()

    def contents(user):
        return {
            (c.name, c.description, c.public, c.is_saved): sorted(
                e.paper.arxiv_id for e in c.entries.all()
            )
            for c in Collection.objects.filter(owner=user)
        }

    assert contents(bob) == contents(ada)
    upload.seek(0)
    again = bob_client.post("/library/import", {"file": upload}, follow=True)  # idempotent
    assert "Imported 0 new paper(s)" in again.content.decode() and contents(bob) == contents(ada)


def test_import_reports_papers_not_in_the_corpus_and_refuses_other_files(papers, ada, client):
    data = {
        "format": "dailypapers-library",
        "version": 1,
        "collections": [{"name": "Mixed", "papers": [{"id": "1706.03762"}, {"id": "2501.99999"}]}],
    }
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "x.json"
    text = client.post("/library/import", {"file": upload}, follow=True).content.decode()
    assert "Imported 1 new paper(s)" in text and "Not in this corpus (1): 2501.99999" in text
    for bad in (b"not json", b'{"format": "zotero"}', b'{"format": "dailypapers-library"}'):
        upload = io.BytesIO(bad)
        upload.name = "bad.json"
        text = client.post("/library/import", {"file": upload}, follow=True).content.decode()
        assert "Imported" not in text and ("JSON" in text or "export" in text or "list" in text)


def test_bibtex_export(papers, ada, client):
    c = services.create(ada, "Cite")
    for p in papers:
        services.add(c, p)
    text = client.get(f"/library/{c.pk}/export.bib").content.decode()
    entries = re.findall(r"@misc\{(\w+),\n(.*?)\n\}", text, re.S)
    assert sorted(key for key, _ in entries) == [
        "he2015deep",
        "vaswani2017attention",
        "witten2025paper",
    ]
    residual = dict(re.findall(r"  (\w+) = \{(.*)\}", dict(entries)["he2015deep"]))
    assert residual["title"] == "Deep Residual Learning \\& $\\mathcal{O}(1)$ Tricks"
    assert residual["eprint"] == "1512.03385" and residual["archivePrefix"] == "arXiv"
    assert residual["primaryClass"] == "cs.CV"
    assert dict(entries)["vaswani2017attention"].count("Ashish Vaswani and Noam Shazeer") == 1


@pytest.mark.django_db(transaction=True)
def test_a_public_collection_as_feed_and_api(papers, ada, live_server):
    import httpx

    c = services.create(ada, "Shared", "For the lab.", public=True)
    services.add(c, papers[0])
    services.add(c, papers[1])
    for kind in ("rss", "atom"):
        parsed = feedparser.parse(
            httpx.get(f"{live_server.url}/feeds{c.public_url}.{kind}").content
        )
        assert not parsed.bozo
        assert {e.id for e in parsed.entries} == {
            "https://arxiv.org/abs/1706.03762",
            "https://arxiv.org/abs/1512.03385",
        }
    page = httpx.get(live_server.url + c.public_url).text
    assert f'href="/feeds{c.public_url}.rss"' in page
    api = httpx.get(f"{live_server.url}/api/v1/collections/ada/shared").json()
    assert (api["name"], api["owner"], api["count"]) == ("Shared", "ada", 2)
    assert httpx.get(f"{live_server.url}/api/v1/collections/ada/nope").status_code == 404


def _upload(client: Client, text: str, name: str) -> str:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return client.post("/library/import", {"file": upload}, follow=True).content.decode()


def test_a_bibtex_file_becomes_saved_papers(papers, ada, client):
    papers[1].doi = "10.1109/CVPR.2016.90"
    papers[1].save()
    bib = """@misc{vaswani, title={Attention}, eprint={1706.03762}, archivePrefix={arXiv}}
@inproceedings{he, title={Residual}, doi={10.1109/cvpr.2016.90}}
@article{witten, url={https://arxiv.org/abs/hep-th/9901001v2}}
@article{elsewhere, title={Not here}, doi={10.1000/none}}
@broken{ oops
"""
    text = _upload(client, bib, "refs.bib")
    assert "Imported 3 new paper(s)" in text
    assert "Not in this corpus (2): elsewhere, unreadable entry at line 5" in text
    saved = {p.arxiv_id for p in selectors.papers_in(services.saved_collection(ada))}
    assert saved == {"1706.03762", "1512.03385", "hep-th/9901001"}
    assert "Imported 0 new paper(s)" in _upload(client, bib, "refs.bib")  # nothing twice


def test_a_zotero_csl_json_export_becomes_saved_papers(papers, ada, client):
    # As Zotero exports an arXiv preprint, and a journal article it knows only by DOI.
    items = [
        {
            "id": "http://zotero.org/users/1/items/A",
            "type": "article",
            "title": "Attention Is All You Need",
            "URL": "http://arxiv.org/abs/1706.03762",
            "DOI": "10.48550/arXiv.1706.03762",
            "number": "arXiv:1706.03762",
        },
        {"id": "B", "type": "article", "title": "Old", "DOI": "10.48550/arXiv.hep-th/9901001"},
        {"id": "C", "type": "article-journal", "title": "Elsewhere", "DOI": "10.1000/none"},
    ]
    text = _upload(client, json.dumps(items), "zotero.json")
    assert "Imported 2 new paper(s)" in text and "Not in this corpus (1): Elsewhere" in text
    assert {p.arxiv_id for p in selectors.papers_in(services.saved_collection(ada))} == {
        "1706.03762",
        "hep-th/9901001",
    }
    assert "No BibTeX entry" in _upload(client, "just words", "notes.txt")


def test_not_interested_leaves_the_members_feeds_until_undone(papers, ada, client):
    attention = papers[0]
    day = f"/papers/date/{MONDAY.isoformat()}"
    assert "Attention Is All You Need" in client.get(day).content.decode()

    r = client.post(f"/not-interested/{attention.pk}", {"next": day}, HTTP_HX_REQUEST="true")
    stub = r.content.decode()
    assert "out of your feeds" in stub and f'name="next" value="{day}"' in stub
    assert "Attention Is All You Need" not in client.get(day).content.decode()
    assert "Attention Is All You Need" in Client(HTTP_HOST="localhost").get(day).content.decode()
    assert json.loads(client.get("/accounts/data").content)["not_interested"] == ["1706.03762"]

    r = client.post(f"/not-interested/{attention.pk}", {"action": "undo", "next": day})
    assert r.status_code == 302 and r["Location"] == day
    assert "Attention Is All You Need" in client.get(day).content.decode()
