"""The SQLite database in a backup: copied by SQLite's online backup API, one consistent
snapshot taken while the site goes on writing, and written back the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connection

from .archive import BackupError


def dump(dest: Path) -> dict[str, str]:
    """The site's database copied to ``dest`` page by page within one read transaction: a
    consistent snapshot, while other processes go on writing beside it (WAL). What the
    manifest records of it: SQLite's version."""
    connection.ensure_connection()
    copy = sqlite3.connect(dest)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return {"version": sqlite3.sqlite_version}


def load(source: Path) -> None:
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
