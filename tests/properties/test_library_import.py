"""The library's import: a dailypapers export, a BibTeX file or a CSL-JSON (Zotero) export.
What a member exports comes back the same, into another account; any upload at all is
imported or refused with a message on the library page, and leaves only valid collections."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from dailypapers.library import formats, selectors, services
from dailypapers.library.models import Collection
from dailypapers.papers.models import Paper
from tests import factories
from tests.properties import DATABASE, rolled_back
from tests.properties.strategies import HOSTILE, XML_CHARS, arxiv_ids, names, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada() -> User:
    return factories.member("ada")


@pytest.fixture
def grace() -> User:
    return factories.member("grace")


# --- what a member exports comes back -----------------------------------------------------------

collection_names = st.text(XML_CHARS, min_size=1, max_size=100).map(lambda s: " ".join(s.split()))
collections = st.lists(
    st.tuples(
        collection_names.filter(bool),
        text(max_size=200).map(str.strip),
        st.booleans(),
        st.lists(st.integers(0, 2), unique=True),  # which of the papers it holds
    ),
    max_size=3,
    unique_by=lambda c: c[0],
)
paper_rows = st.lists(
    st.tuples(arxiv_ids.map(lambda i: i.id), text(min_size=1), st.lists(names, max_size=3)),
    min_size=3,
    max_size=3,
    unique_by=lambda p: p[0],
)


def _library(user: User) -> list[tuple[str, str, bool, list[str]]]:
    return [
        (c.name, c.description, c.public, sorted(p.arxiv_id for p in selectors.papers_in(c)))
        for c in selectors.collections_of(user)
        if not c.is_saved
    ]


@DATABASE
@given(paper_rows, collections)
def test_an_export_imports_back_the_same_collections_and_papers(
    ada: User, grace: User, rows: list[tuple[str, str, list[str]]], wanted: list
) -> None:
    with rolled_back():
        made = [factories.paper(i, title=t, authors=a) for i, t, a in rows]
        for name, description, public, held in wanted:
            c = services.create(ada, name, description, public)
            for n in held:
                services.add(c, made[n])
        report = formats.from_json(grace, formats.to_json(list(selectors.collections_of(ada))))
        assert report.not_found == []
        assert _library(grace) == _library(ada)


@DATABASE
@given(paper_rows)
def test_a_bibtex_export_imports_back_every_paper(
    grace: User, rows: list[tuple[str, str, list[str]]]
) -> None:
    with rolled_back():
        made = [factories.paper(i, title=t, authors=a) for i, t, a in rows]
        report = formats.import_file(grace, formats.to_bibtex(made))
        assert (report.added, report.not_found) == (len(made), [])
        saved = selectors.papers_in(services.saved_collection(grace))
        assert sorted(p.arxiv_id for p in saved) == sorted(p.arxiv_id for p in made)


# --- any upload ----------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.sampled_from(HOSTILE),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
_exports = st.builds(
    lambda cols: {"format": formats.FORMAT, "version": 1, "collections": cols},
    st.lists(
        st.fixed_dictionaries(
            {"name": _json, "papers": st.lists(st.builds(dict, id=_json))},
            optional={"description": _json, "public": _json, "saved": st.booleans()},
        )
        | _json,
        max_size=3,
    ),
)
_csl = st.lists(
    st.fixed_dictionaries(
        {},
        optional={k: _json for k in ("title", "id", "URL", "number", "arxiv", "note", "DOI")},
    )
    | _json,
    max_size=4,
)
_bibtex = st.lists(
    st.builds(
        "@{}{{{},\n{}}}\n".format,
        st.sampled_from(["article", "misc", "inproceedings", "comment", "string", "x"]),
        st.text(max_size=10),
        st.lists(
            st.builds(
                "  {} = {{{}}},\n".format,
                st.sampled_from(["title", "eprint", "doi", "url", "arxivid", "author", "{"]),
                st.text(max_size=20) | st.sampled_from(["1706.03762", "10.1000/xyz", "{", "}"]),
            ),
            max_size=4,
        ).map("".join),
    ),
    max_size=3,
).map("".join)
uploads = st.one_of(
    st.text(max_size=200),
    _exports.map(json.dumps),
    _csl.map(json.dumps),
    _bibtex,
    st.binary(max_size=100).map(lambda b: b.decode("utf-8", "replace")),
)
NESTED = "[" * 100_000  # json.loads raised RecursionError, not ValueError
EXPORT = {"format": formats.FORMAT, "version": 1}


def _upload(client: Client, body: str) -> tuple[int, str]:
    """POST the file; the status, and the library page it leads to."""
    data = body.encode("utf-8", "surrogatepass")
    response = client.post("/library/import", {"file": io.BytesIO(data)})
    page = client.get("/library")
    return response.status_code, page.content.decode()


@DATABASE
@given(uploads)
@example(NESTED)
@example(
    json.dumps(EXPORT | {"collections": [{"name": "a", "description": "b\x00", "papers": []}]})
)
@example(json.dumps(EXPORT | {"collections": [{"name": "a", "description": "b" * 5000}]}))
@example(json.dumps(EXPORT | {"collections": [{"name": "\ud800", "papers": []}]}))
@example(json.dumps([{"title": "\udfff"}]))  # listed as not found, in a cookie: not UTF-8
@example("@misc{k,\n  eprint = {1706.03762},\n  title = {{unbalanced},\n}")
def test_any_upload_is_imported_or_refused_with_a_message(ada: User, upload: str) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    with rolled_back():
        factories.paper("1706.03762", title="Attention", doi="10.1000/xyz")
        status, page = _upload(client, upload)
        assert status == 302
        assert 'class="flash success"' in page or 'class="flash error"' in page  # said why
        for c in Collection.objects.filter(owner=ada):
            assert c.name and len(c.name) <= 100 and "\x00" not in c.name
            assert len(c.description) <= 2000 and "\x00" not in c.description
            (c.name + c.description).encode()  # no lone surrogates: storable, printable
        assert Paper.objects.count() == 1  # an import saves papers; it never makes them
