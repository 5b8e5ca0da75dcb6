"""`dailypapers backup` and `restore`, as an operator runs them: real `dailypapers` processes,
each site with a data folder of its own and, in the PostgreSQL pass, a database of its own on
the test server."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg
import pytest
from django.db import connection

from dailypapers.infra.backup import DATABASE_FILE, BackupError, postgres
from dailypapers.search import vectors
from dailypapers.search.engines.vector_files import reader
from dailypapers.search.models import Embedding
from tests.conftest import cli_env
from tests.search.test_vectors import MODEL, embed, unit

CLI = [sys.executable, "-m", "dailypapers.cli"]
Site = Callable[[str], dict[str, str]]

PAPERS = [
    ("2509.00001", "Message passing networks for molecules",
     "Graph neural networks predict the chemical properties of small molecules."),
    ("2509.00002", "Listening to speech with transformers",
     "An attention model turns recorded speech into text in many languages."),
    ("2509.00003", "Folding proteins from their sequence",
     "Deep learning predicts the three-dimensional structure of a protein."),
    ("2509.00004", "Robots that learn to grasp",
     "Reinforcement learning teaches a robot arm to pick up unfamiliar objects."),
]  # fmt: skip

# Members, votes, comments, collections and subscribers, through the apps' own services.
SETUP = """
from django.contrib.auth import get_user_model
from dailypapers.community import services as community
from dailypapers.community.models import Member
from dailypapers.digest import services as digest
from dailypapers.library import services as library
from dailypapers.papers.models import Paper

ada = get_user_model().objects.create_user("ada", "ada@example.org", "a-long-enough passphrase 42")
Member.objects.create(user=ada, email_verified=True)
molecules = Paper.objects.get(arxiv_id="2509.00001")
speech = Paper.objects.get(arxiv_id="2509.00002")
community.set_vote(ada, molecules, True)
community.add_comment(ada, speech, "Does it work for *tonal* languages?")
library.add(library.saved_collection(ada), molecules)
library.add(library.create(ada, "Reading group", public=True), speech)
digest.subscribe_member(ada, "weekly", True, ["cs.LG"])
digest.subscribe("reader@example.org", "daily")
"""

QUERIES = ["molecule properties", "speech transformers", "protein structure"]
MEANINGS = ["chemistry with graph networks", "a robot picking things up"]

# What a site holds, as one JSON line: every row of the apps that keep what people made, and
# what search finds by keyword and by meaning.
SNAPSHOT = f"""
import io, json
from django.core.management import call_command
from dailypapers.search import selectors
from dailypapers.search.query import parse_query

rows = io.StringIO()
call_command("dumpdata", "auth.user", "papers", "feed", "community", "library", "digest",
             stdout=rows)
keyword = {{q: selectors.search(q, semantic=False).ids for q in {QUERIES!r}}}
results = {{q: selectors.search(q) for q in {MEANINGS!r}}}
print(json.dumps({{
    "rows": json.loads(rows.getvalue()),
    "keyword": keyword,
    "semantic": {{q: [pk for pk, _ in selectors.semantic_ranked(parse_query(q), 3)]
                 for q in {MEANINGS!r}}},
    "semantic_errors": [r.semantic_error for r in results.values() if r.semantic_error],
}}))
"""


def dailypapers(env: dict[str, str], *args: object, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*CLI, *map(str, args)], env=env, capture_output=True, text=True)
    assert (result.returncode == 0) == ok, result.stderr[-3000:]
    if not ok:  # a sentence for the operator, not a traceback
        assert "Traceback" not in result.stderr, result.stderr
    return result


def snapshot(env: dict[str, str]) -> dict:
    return json.loads(dailypapers(env, "shell", "-c", SNAPSHOT).stdout.splitlines()[-1])


def counts(rows: list[dict]) -> Counter[str]:
    return Counter(row["model"] for row in rows)


@pytest.fixture
def new_site(tmp_path: Path) -> Iterator[Site]:
    """``new_site(name)``: the environment of a new, empty site: its own data folder with a
    generated secret key and, on PostgreSQL, a new database on the test server."""
    made: list[str] = []
    server = os.environ.get("DATABASE_URL", "")

    def site(name: str) -> dict[str, str]:
        env = cli_env(DAILYPAPERS_HOME=str(tmp_path / name))
        env.pop("SECRET_KEY", None)
        if connection.vendor == "postgresql":
            database = f"backup_{name}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(server, autocommit=True) as db:
                db.execute(f"CREATE DATABASE {database}")
            made.append(database)
            env["DATABASE_URL"] = urlsplit(server)._replace(path=f"/{database}").geturl()
        return env

    yield site
    if made:
        with psycopg.connect(server, autocommit=True) as db:
            for database in made:
                db.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def hf_day(path: Path) -> Path:
    papers = [
        {"paper": {"id": pk, "title": title, "summary": abstract, "upvotes": 3,
                   "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2025-09-02T10:00:00Z"},
         "numComments": 0}
        for pk, title, abstract in PAPERS
    ]  # fmt: skip
    path.write_text(json.dumps({"date": "2025-09-08", "papers": papers}) + "\n")
    return path


def test_a_backup_restores_into_an_empty_site_with_everything_and_search(new_site, tmp_path):
    source = new_site("source")
    dailypapers(source, "migrate", "-v0")
    dailypapers(source, "import", "hf-daily", hf_day(tmp_path / "day.jsonl"))
    dailypapers(source, "shell", "-c", SETUP)
    dailypapers(source, "worker", "--batch", "--interval", "0.05")  # embeds and indexes them
    before = snapshot(source)
    made = counts(before["rows"])
    assert made["papers.paper"] == len(PAPERS) and made["auth.user"] == 1
    assert made["community.vote"] == 1 and made["community.comment"] == 1
    assert made["library.collection"] == 2 and made["library.entry"] == 2
    assert made["digest.subscriber"] == 2 and made["feed.featured"] == len(PAPERS)
    assert all(before["keyword"].values()) and all(before["semantic"].values())
    assert not before["semantic_errors"]

    archive = tmp_path / "backups" / "site.tar"
    archive.parent.mkdir()
    out = dailypapers(source, "backup", archive).stdout
    assert f"backed up to {archive}" in out and archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(tar.getmembers()[0]))
    assert manifest["database"]["kind"] == connection.vendor
    assert "papers.0001_initial" in manifest["migrations"]
    names = {entry["name"] for entry in manifest["files"]}
    assert {"secret_key", DATABASE_FILE[connection.vendor]} <= names

    target = new_site("target")
    out = dailypapers(target, "restore", archive).stdout
    assert "restored the" in out
    assert snapshot(target) == before  # every row, and the same search results
    home = Path(target["DAILYPAPERS_HOME"])
    assert (home / "secret_key").read_text() == Path(
        source["DAILYPAPERS_HOME"], "secret_key"
    ).read_text()

    # Now the site holds data: a restore asks for --force, and then replaces all of it.
    dailypapers(target, "shell", "-c", SETUP.replace('"ada"', '"bob"').replace("ada@", "bob@"))
    refused = dailypapers(target, "restore", archive, ok=False).stderr
    assert "already holds data" in refused and "--force" in refused
    assert counts(snapshot(target)["rows"])["auth.user"] == 2  # untouched
    dailypapers(target, "restore", "--force", archive)
    assert snapshot(target) == before


def test_a_missing_damaged_or_foreign_backup_is_refused_and_changes_nothing(new_site, tmp_path):
    source = new_site("source")
    dailypapers(source, "migrate", "-v0")
    archive = tmp_path / "site.tar"
    dailypapers(source, "backup", archive)
    data = archive.read_bytes()
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest = json.loads(members[0][1])

    def rewritten(name: str, change: Callable[[dict], None]) -> Path:
        changed = json.loads(json.dumps(manifest))
        change(changed)
        path = tmp_path / name
        with tarfile.open(path, "w") as tar:
            for member, content in [(members[0][0], json.dumps(changed).encode()), *members[1:]]:
                member.size = len(content)
                tar.addfile(member, io.BytesIO(content))
        return path

    def declared(manifest: dict, name: str) -> dict:
        return next(entry for entry in manifest["files"] if entry["name"] == name)

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    database = next(m for m, _ in members if m.name == DATABASE_FILE[connection.vendor])
    flipped = bytearray(data)
    flipped[database.offset_data + database.size // 2] ^= 1
    cases = {
        tmp_path / "none.tar": "no backup at",
        tmp_path: "is a folder, not a backup file",
        tmp_path / "text.tar": "is not a backup archive",
        tmp_path / "cut.tar": "cut short",
        tmp_path / "flipped.tar": f"{database.name} differs from its checksum",
        rewritten("kind.tar", lambda m: m["database"].update(kind=other, pg_dump="18.6")):
            f"a backup of a {other} site",
        rewritten("newer.tar", lambda m: m["migrations"].append("papers.9999_future")):
            "newer dailypapers",
        rewritten("odd.tar", lambda m: m.pop("files")): "is not a dailypapers backup",
        # Read no further than a member's declared size, and no manifest of any size.
        rewritten("longer.tar", lambda m: declared(m, database.name).update(size=1)):
            f"{database.name} is larger than the manifest says",
        rewritten("huge.tar", lambda m: m.update(padding=" " * (1 << 20))):
            "its manifest.json is over 1 MB",
    }  # fmt: skip
    (tmp_path / "text.tar").write_text("not a tar file\n")
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    (tmp_path / "flipped.tar").write_bytes(bytes(flipped))

    target = new_site("target")
    for path, error in cases.items():
        assert error in dailypapers(target, "restore", path, ok=False).stderr, path
    # nothing was written: the target's database has no tables yet
    tables = "from django.db import connection; print(connection.introspection.table_names())"
    assert dailypapers(target, "shell", "-c", tables).stdout.splitlines()[-1] == "[]"


def test_a_freshly_migrated_site_takes_a_backup_without_force(new_site, tmp_path):
    """What a site writes before it holds anything (migrate's rows, arXiv's rate lock) is not
    data that a restore would need --force to replace."""
    source = new_site("source")
    dailypapers(source, "migrate", "-v0")
    archive = tmp_path / "site.tar"
    dailypapers(source, "backup", archive)

    target = new_site("target")
    dailypapers(target, "migrate", "-v0")
    lock = "from dailypapers.ingest.models import RateLock; RateLock.objects.create(name='arxiv')"
    dailypapers(target, "shell", "-c", lock)
    assert "restored the" in dailypapers(target, "restore", archive).stdout


@pytest.mark.django_db(transaction=True)
def test_copied_vector_files_come_back_in_line_with_the_restored_table(tmp_path):
    """A backup copies the vector files apart from its database snapshot, so the copy may be
    older or newer than the table: a restore publishes again from the table."""
    rng = np.random.default_rng(7)
    ids = embed(unit(rng, 200))
    vectors.publish(MODEL)
    with vectors.held() as folder:
        copy = shutil.copytree(folder, tmp_path / "copy") if folder else None
    assert (copy is None) == (connection.vendor == "postgresql")  # there, vectors are rows
    base = reader.current().base_dir
    embed(unit(rng, 1), ids[:1])  # re-embedded after the copy
    Embedding.objects.filter(paper_id=ids[1]).delete()
    ids += embed(unit(rng, 2))

    assert vectors.restore_files(copy) == len(ids) - 1
    table = dict(Embedding.objects.values_list("paper_id", "vector"))
    found, rows = vectors.vectors_of(ids)
    assert found.tolist() == sorted(table)
    assert np.array_equal(rows, np.stack([table[pk] for pk in sorted(table)]))
    if copy is not None:  # the copy's base kept: only what differs was written, as a delta
        assert reader.current().base_dir.name == base.name


def test_pg_dump_is_the_oldest_release_at_least_as_new_as_the_server(tmp_path, monkeypatch):
    def program(folder: str, version: str) -> Path:
        path = tmp_path / folder / "pg_dump"
        path.parent.mkdir()
        path.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n")
        path.chmod(0o755)
        return path

    old, new, newer = program("a", "98.2"), program("b", "99.4"), program("c", "100.1")
    monkeypatch.setenv("PATH", os.pathsep.join(str(p.parent) for p in (newer, old, new)))
    assert postgres.find_tool("pg_dump", 99, None) == new
    assert postgres.find_tool("pg_dump", 99, newer.parent) == newer  # --pg-bin
    with pytest.raises(BackupError) as refused:
        postgres.find_tool("pg_dump", 101, old.parent)
    assert str(refused.value).startswith("PostgreSQL 101 needs pg_dump 101 or newer; found: ")
    assert f"{old} (98.2)" in str(refused.value) and "--pg-bin" in str(refused.value)


def test_the_database_password_goes_in_a_private_passfile(tmp_path, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "se:cr\\et")
    options = {"sslmode": "require", "isolation_level": 1}  # libpq's, and Django's own
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    conninfo = postgres.conninfo(tmp_path)
    assert "se:cr" not in conninfo and f"passfile={tmp_path / 'pgpass'}" in conninfo
    assert "sslmode=require" in conninfo and "isolation" not in conninfo
    assert (tmp_path / "pgpass").read_text() == "*:*:*:*:se\\:cr\\\\et\n"
    assert (tmp_path / "pgpass").stat().st_mode & 0o077 == 0
