"""The backup's file format: one tar file, ``manifest.json`` first, then every file it lists.

The manifest holds the format and its version, the database kind, the migrations applied, the
version of dailypapers, when the backup was made, and every other member's name, size and
SHA-256. ``write_archive`` makes an archive from a folder of files; ``read_archive`` unpacks
one, checking every member against the manifest before anything of it is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.management.base import CommandError

FORMAT = "dailypapers-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VECTORS = "vectors"  # the folder of the vector files in an archive
_BLOCK = 1 << 20
# The manifest is read into memory: a few KB for a real site (the vector files are a handful).
MANIFEST_LIMIT = 1 << 20


class BackupError(CommandError):
    """Why a backup or a restore cannot go on, in a sentence (the command prints no traceback)."""


def describe_files(staging: Path) -> list[dict[str, Any]]:
    """Every file under ``staging`` as the manifest lists it: name, size and SHA-256."""
    files = (path for path in staging.rglob("*") if path.is_file())
    return [_describe(staging, path) for path in sorted(files)]


def write_archive(archive: Path, manifest: dict[str, Any], staging: Path) -> None:
    """Write ``manifest`` and then the files it lists, from ``staging``, to ``archive``,
    readable by its owner only: it holds password hashes, addresses and the secret key."""
    with tarfile.open(archive, "w") as tar:
        _add(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
        for entry in manifest["files"]:
            _add(tar, entry["name"], staging / entry["name"])
    archive.chmod(0o600)


def read_archive(
    archive: Path, into: Path, check: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
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
