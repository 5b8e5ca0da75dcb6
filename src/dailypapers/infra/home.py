"""The data folder, ``$DAILYPAPERS_HOME`` (default ``./var``): the SQLite file, the generated
secret key, derived indexes and outgoing mail.

Settings only read it; the entry points (the ``dailypapers`` command, ``wsgi``) call
:func:`prepare` first, so that importing settings never writes anything.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE = "secret_key"


def location() -> Path:
    """Where the data folder is: ``$DAILYPAPERS_HOME``, else ``./var``."""
    return Path(os.environ.get("DAILYPAPERS_HOME", "var")).resolve()


def prepare(home: Path | None = None) -> Path:
    """Create the data folder, its owner's only (it holds the SQLite file and outgoing mail),
    and, once, its secret key unless SECRET_KEY gives one."""
    home = home or location()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "static").mkdir(exist_ok=True)  # whitenoise warns while it is missing
    key = home / KEY_FILE
    if os.environ.get("SECRET_KEY") or key.exists():
        return home
    # Written whole to a private file, then linked into place: link() fails if the key
    # exists, so of two processes starting at once one key wins and nobody reads half of it.
    tmp = home / f".{KEY_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(50))
    try:
        os.link(tmp, key)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return home


def secret_key(home: Path) -> str:
    """The key :func:`prepare` wrote; a clear error if there is none."""
    path = home / KEY_FILE
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if not key:
        raise ImproperlyConfigured(
            f"no secret key in {path}: run any `dailypapers` command once to create it, "
            "or set SECRET_KEY"
        )
    return key
