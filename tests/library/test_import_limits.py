"""An import holds up no one else (issue 21, items 4 and 6): at most MAX_ENTRIES entries, looked
up and stored a chunk at a time, each chunk its own short transaction; only from a verified
member, a few times an hour; and a collection comes in public only from a member who may
publish one."""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.library import formats, services
from dailypapers.library.models import Collection, Entry
from dailypapers.papers.models import Paper
from tests import factories

pytestmark = pytest.mark.django_db


def _export(papers: list[str], **collection: object) -> str:
    """A library export of one collection holding ``papers`` (arXiv ids)."""
    item = {"name": "Imported", "papers": [{"id": i} for i in papers], **collection}
    return json.dumps({"format": formats.FORMAT, "version": 1, "collections": [item]})


def _member(name: str = "ada", verified: bool = True) -> tuple[User, Client]:
    user = factories.member(name, verified=verified)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return user, client


def _import(client: Client, text: str, name: str = "library.json") -> int:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return client.post("/library/import", {"file": upload}).status_code


def _flash(client: Client) -> str:
    """The library page, with the message the import left."""
    return client.get("/library").content.decode()


def _papers(n: int) -> list[Paper]:
    """``n`` papers, 2501.00000 on (in one statement: a corpus, not the subject here)."""
    return Paper.objects.bulk_create(
        Paper(arxiv_id=f"2501.{i:05d}", title=f"Paper {i}", doi=f"10.1000/Paper.{i}")
        for i in range(n)
    )


def test_an_import_of_more_entries_than_the_cap_is_refused_naming_the_cap():
    _, client = _member()
    factories.paper("1706.03762")
    cap = f"{formats.MAX_ENTRIES:,}"
    assert f"at most {cap} entries" in _flash(client)  # said before a member tries

    too_many = formats.MAX_ENTRIES + 1
    bib = "".join(f"@misc{{k{n}, eprint={{1706.03762}}}}\n" for n in range(too_many))
    for text, name in ((bib, "refs.bib"), (_export(["1706.03762"] * too_many), "library.json")):
        assert _import(client, text, name) == 302
        page = _flash(client)
        assert f"{too_many:,} entries" in page and f"at most {cap}" in page
    assert not Entry.objects.exists()


def test_papers_are_looked_up_a_chunk_at_a_time():
    ada, client = _member()
    papers = _papers(3)
    entries = 2 * formats.CHUNK + 3  # three chunks

    def entry(n: int) -> str:  # by arXiv id, by DOI in another case, or unknown
        if n % 3 == 0:
            return f"@misc{{k{n}, eprint={{{papers[0].arxiv_id}}}}}\n"
        if n % 3 == 1:
            return f"@misc{{k{n}, doi={{{papers[1].doi.upper()}}}}}\n"
        return f"@misc{{k{n}, eprint={{2601.{n:05d}}}, doi={{10.1000/none.{n}}}}}\n"

    bib = "".join(entry(n) for n in range(entries))
    with CaptureQueriesContext(connection) as queries:
        assert _import(client, bib, "refs.bib") == 302
    chunks = 3
    lookups = [q["sql"] for q in queries if "papers_paper" in q["sql"]]
    assert len(lookups) <= 2 * chunks  # by arXiv id, then by DOI: one query each per chunk
    assert len(queries) <= 8 * chunks + 20  # and a few to store each chunk: not per entry
    saved = set(services.saved_collection(ada).entries.values_list("paper__arxiv_id", flat=True))
    assert saved == {papers[0].arxiv_id, papers[1].arxiv_id}
    assert f"Not in this corpus ({entries // 3:,})" in _flash(client)


def test_a_failure_mid_way_keeps_the_chunks_before_it_and_says_how_many_landed():
    ada, client = _member()
    papers = _papers(2 * formats.CHUNK)
    first_of_second_chunk = papers[formats.CHUNK].pk

    def locked(execute, sql, params, many, context):
        writes = sql.startswith("INSERT") and '"library_entry"' in sql
        # PostgreSQL's bulk insert passes each column as one array
        values = [v for p in params or () for v in (p if isinstance(p, list) else [p])]
        if writes and first_of_second_chunk in values:
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    text = _export([p.arxiv_id for p in papers])
    with connection.execute_wrapper(locked):
        assert _import(client, text) == 302
    held = Collection.objects.get(owner=ada, name="Imported").entries
    assert held.count() == formats.CHUNK
    page = _flash(client)
    assert f"Imported {formats.CHUNK} new paper(s)" in page
    assert f"stopped after {formats.CHUNK:,} of {2 * formats.CHUNK:,} entries" in page

    assert _import(client, text) == 302  # again: the rest lands, nothing twice
    assert held.count() == 2 * formats.CHUNK
    assert f"Imported {formats.CHUNK} new paper(s)" in _flash(client)


@pytest.mark.django_db(transaction=True)
def test_a_log_in_during_a_large_import_is_not_refused():
    """On SQLite one writer at a time: a log-in waits for the import's transaction, and gave
    up with "database is locked" after the busy timeout when that was the whole import."""
    ada, importer = _member()
    bob = factories.member("bob")
    papers = [p.arxiv_id for p in _papers(formats.CHUNK + 1)]
    in_second_chunk, go_on = threading.Event(), threading.Event()
    done: dict[str, int] = {}

    def pause(execute, sql, params, many, context):
        # The second chunk's lookup: the first chunk is stored, the rest is to come.
        if not in_second_chunk.is_set() and params and papers[-1] in params:
            in_second_chunk.set()
            go_on.wait(30)
        return execute(sql, params, many, context)

    def run_import() -> None:
        try:
            with connection.execute_wrapper(pause):
                done["status"] = _import(importer, _export(papers))
        finally:
            connection.close()

    thread = threading.Thread(target=run_import)
    thread.start()
    try:
        assert in_second_chunk.wait(60)
        response = Client(HTTP_HOST="localhost").post(
            "/accounts/login", {"username": bob.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 302 and response["Location"] == "/"
    finally:
        go_on.set()
        thread.join(60)
    assert done["status"] == 302
    assert Collection.objects.get(owner=ada, name="Imported").entries.count() == len(papers)


def test_imports_need_a_verified_address_and_are_rate_limited():
    factories.paper("1706.03762")
    text = _export(["1706.03762"])
    newcomer, unverified = _member("newcomer", verified=False)
    assert _import(unverified, text) == 403
    assert not Collection.objects.filter(owner=newcomer).exists()
    assert "Verify your email address to import" in _flash(unverified)

    _, client = _member()
    for _ in range(10):
        assert _import(client, text) == 302
    assert _import(client, text) == 429
    _, other = _member("grace")  # per member
    assert _import(other, text) == 302


def test_an_import_publishes_a_collection_only_for_a_member_who_may_publish():
    factories.paper("1706.03762")
    text = _export(["1706.03762"], public=True)
    newcomer, unverified = _member("newcomer", verified=False)
    _import(unverified, text)
    assert not Collection.objects.filter(owner=newcomer, public=True).exists()
    with pytest.raises(services.LibraryError, match="Verify your email address"):
        formats.import_file(newcomer, text)  # the rule is the services', whoever calls
    assert not Collection.objects.filter(owner=newcomer, public=True).exists()

    ada, client = _member()
    assert _import(client, text) == 302
    assert Collection.objects.get(owner=ada, name="Imported").public
