"""`dailypapers backup PATH` and `dailypapers restore PATH`: a whole site in one tar file.

The archive starts with ``manifest.json``: the database kind, the migrations applied, the
version of dailypapers, when it was made, and every other member's size and SHA-256. Then:

* ``database.sqlite3``, copied by SQLite's online backup API: one consistent snapshot taken
  while the site goes on writing; or ``database.pgdump``, from ``pg_dump -Fc`` (one
  snapshot), by a pg_dump at least as new as the server (see ``postgres.find_tool``);
* ``secret_key``, the generated key (when SECRET_KEY is not set): sessions and the signed links
  in mail already sent, unsubscribe links included, keep working after a restore;
* ``vectors/...`` on SQLite: the published vector files (see below).

Derived search files on SQLite: the vector files are copied, because building them again
takes a minute (62 s for 162k papers, mostly the HNSW graph); after a restore they are
published again from the restored embeddings table, which rewrites only the rows whose
``embedded_at`` differs, so they match the restored database whenever the copy was taken.
The keyword index is rebuilt from the paper table instead (11 s for 162k papers), which
matches by construction. On PostgreSQL both live in the database and come with the dump.

A restore reads and checks the whole archive before it touches the site, refuses a backup of
the other database kind, from a newer dailypapers, or into a database that holds data (unless
``force``), and migrates afterwards.

This package sits above the apps, as the pages do; this module alone reads search's files.
Its parts: ``archive`` (the tar file, its manifest, the checked reading), ``sqlite`` and
``postgres`` (each database's dump and load).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from dailypapers.infra import home
from dailypapers.search import keyword_index, vectors

from . import postgres, sqlite
from .archive import (
    DATABASE_FILE,
    FORMAT,
    FORMAT_VERSION,
    VECTORS,
    BackupError,
    describe_files,
    read_archive,
    write_archive,
)

# Tables a site fills by itself, migrate included (the first three): a database holding rows
# only there counts as empty.
HOUSEKEEPING = {
    "contenttypes.contenttype",
    "auth.permission",
    "dailypapers.contentstamp",
    "sessions.session",
    "dailypapers.ratecounter",
    "dailypapers.scheduledrun",
    "dailypapers.workerheartbeat",
    "django_tasks_database.dbtaskresult",
    "ingest.ratelock",
    "search.indexchange",
}


def backup(target: Path, pg_bin: Path | None = None) -> Path:
    """Write the site to a new archive at ``target`` (into a folder: a file named after the
    time), whole or not at all; returns its path. ``pg_bin``: the folder of pg_dump."""
    try:
        return _backup(target, pg_bin)
    except OSError as exc:  # a full disk, a folder it may not write to
        raise BackupError(f"could not back up to {target}: {exc}") from exc


def restore(archive: Path, force: bool = False, pg_bin: Path | None = None) -> list[str]:
    """Replace this site's database (and on SQLite its search files) with the backup's; what
    was done, a line each. The site's processes must be stopped."""
    try:
        return _restore(archive, force, pg_bin)
    except OSError as exc:
        raise BackupError(f"could not restore {archive}: {exc}") from exc


def _backup(target: Path, pg_bin: Path | None) -> Path:
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if target.is_dir():
        target = target / f"dailypapers-{created:%Y%m%d-%H%M%S}.tar"
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: no folder {target.parent}")
    vendor = connection.vendor
    if vendor not in DATABASE_FILE:
        raise BackupError(f"cannot back up a {vendor} database")
    # Staged beside the target, on its file system: the finished archive is renamed into
    # place, and the vector files are hard links when the data folder is there too.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".dailypapers-backup-") as tmp:
        staging = Path(tmp) / "files"
        staging.mkdir()
        database_file = staging / DATABASE_FILE[vendor]
        database: dict[str, str] = {"kind": vendor}
        if vendor == "sqlite":
            database |= sqlite.dump(database_file)
            with vectors.held() as folder:
                if folder is not None:
                    shutil.copytree(
                        folder,
                        staging / VECTORS,
                        ignore=shutil.ignore_patterns(".*"),
                        copy_function=_link,
                    )
        else:
            # The passfile goes beside the staged files, not among them.
            database |= postgres.dump(database_file, Path(tmp), pg_bin)
        if key := _generated_key():
            shutil.copy(key, staging / home.KEY_FILE)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "dailypapers": importlib.metadata.version("dailypapers"),
            "created": created.isoformat(),
            "database": database,
            "migrations": sorted(
                f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
            ),
            "files": describe_files(staging),
        }
        archive = Path(tmp) / "archive.tar"
        write_archive(archive, manifest, staging)
        os.replace(archive, target)
    return target


def _restore(archive: Path, force: bool, pg_bin: Path | None) -> list[str]:
    vendor = connection.vendor
    tools: dict[str, Path] = {}

    def check(manifest: dict[str, Any]) -> None:
        """Before the archive's files are read: whether this site can take them."""
        kind = manifest["database"]["kind"]
        if kind != vendor:
            raise BackupError(
                f"{archive} is a backup of a {kind} site, and this site's database is "
                f"{vendor} (DATABASE_URL): a backup restores into the same kind only"
            )
        known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        newer = [m for m in manifest["migrations"] if tuple(m.split(".", 1)) not in known]
        if newer:
            raise BackupError(
                f"{archive} comes from a newer dailypapers ({manifest['dailypapers']}; "
                f"migrations unknown here: {', '.join(newer[:3])}): upgrade this one first"
            )
        held = _holdings()
        if held and not force:
            raise BackupError(
                f"this site's database already holds data ({', '.join(held)}): "
                "restoring replaces all of it; add --force to do so"
            )
        if vendor == "postgresql":
            tools["pg_restore"], tools["psql"] = postgres.restore_tools(
                manifest["database"]["pg_dump"], pg_bin
            )

    home_folder = Path(settings.HOME)
    with tempfile.TemporaryDirectory(dir=home_folder, prefix=".restore-") as tmp:
        staging = Path(tmp)
        manifest = read_archive(archive, staging, check)
        done = [f"read the backup of {manifest['created']} (dailypapers {manifest['dailypapers']})"]
        database = staging / DATABASE_FILE[vendor]
        if vendor == "sqlite":
            sqlite.load(database)
        else:
            postgres.load(database, staging, tools["pg_restore"], tools["psql"])
        done.append(f"restored the {vendor} database")
        key = staging / home.KEY_FILE
        if key.exists():
            overridden = _generated_key() is None
            key.chmod(0o600)
            os.replace(key, home_folder / home.KEY_FILE)
            done.append(
                f"restored the secret key into {home_folder / home.KEY_FILE}"
                + (" (SECRET_KEY, set here, overrides it)" if overridden else "")
            )
        call_command("migrate", interactive=False, verbosity=0)
        for cache in caches.all():  # what they hold describes the site before the restore
            cache.clear()
        if vendor == "sqlite":
            copy = staging / VECTORS
            published = vectors.restore_files(copy if copy.is_dir() else None)
            done.append(f"vector index: {published} papers, in line with the embeddings table")
            done.append(f"keyword index: rebuilt, {keyword_index.rebuild()} papers")
    return done


def _generated_key() -> Path | None:
    """The key file in the data folder, if it is the key this site runs with (no SECRET_KEY)."""
    path = Path(settings.HOME) / home.KEY_FILE
    return path if path.exists() and path.read_text().strip() == settings.SECRET_KEY else None


def _link(source: str, dest: str) -> None:
    """A hard link where the file systems allow (published files never change), else a copy."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def _holdings() -> list[str]:
    """The models whose tables hold rows, bar those the site fills by itself."""
    existing = set(connection.introspection.table_names())
    return [
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in HOUSEKEEPING
        and model._meta.db_table in existing
        and model._base_manager.exists()
    ]
