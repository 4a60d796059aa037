"""plenaria's backup archive: one file, encrypted with a passphrase in the age format.

Inside, a gzip'd tar of:
- `manifest.json`: the format, when it was made, the database's Alembic revision and row counts,
  and the sha256 and size of every other member;
- `database/<table>.json`: each table's rows (`bot/storage/snapshot.py`);
- `data/<path>`: the data folder, which holds the E2EE stores of the bot and the warden
  (`matrix/<account>/`: nio's store, copied with sqlite3's online backup API; the saved login,
  `credentials.json`, with the device id and access token; the private cross-signing keys,
  `cross_signing.json`) and the file store (`files/`). Left out: the SQLite database itself
  when it lives there (its rows are under `database/`), temporary files, and the initial
  passwords `plenaria accounts` may have left (they must not outlive their hand-over).

The age format (passphrase mode: scrypt, then ChaCha20-Poly1305 in authenticated chunks, through
`pyrage`) makes a wrong passphrase and any altered byte fail before anything is read; the
manifest's checksums are checked on top, before anything is written.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import pyrage

from bot.storage.snapshot import DatabaseDump, TableRows, copy_sqlite

FORMAT = "plenaria-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AGE_HEADER = b"age-encryption.org/v1\n"
SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
# Relative to the data folder: what `plenaria accounts` may leave there, never backed up.
NOT_BACKED_UP = ("secrets/initial-passwords.json",)


class ArchiveError(Exception):
    """An archive that cannot be made or read, said in one line."""


@dataclass(frozen=True)
class Contents:
    """What an archive holds, checked."""

    manifest: dict[str, Any]
    database: DatabaseDump
    data: dict[str, bytes]  # path relative to the data folder -> bytes

    def device(self) -> str | None:
        """The bot's device id, from its saved login."""
        raw = self.data.get("matrix/bot/credentials.json")
        if raw is None:
            return None
        try:
            return str(json.loads(raw)["device_id"])
        except (ValueError, KeyError, TypeError):
            return None


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def skipped_in_data_dir(data_dir: Path, database_file: Path | None) -> set[Path]:
    """The platform's SQLite database and its sidecars, when they live in the data folder."""
    if database_file is None:
        return set()
    database_file = database_file.resolve()
    if data_dir.resolve() not in database_file.parents:
        return set()
    return {database_file} | {
        database_file.with_name(database_file.name + s) for s in SQLITE_SIDECARS
    }


def collect(data_dir: Path, database_file: Path | None) -> dict[str, bytes]:
    """The data folder's files, read now: SQLite files through the online backup API."""
    skipped = skipped_in_data_dir(data_dir, database_file)
    found: dict[str, bytes] = {}
    sidecars: set[Path] = set()
    paths = sorted(p for p in data_dir.rglob("*") if p.is_file() and not p.is_symlink())
    with tempfile.TemporaryDirectory(prefix="plenaria-backup-") as folder:
        for path in paths:
            relative = path.relative_to(data_dir).as_posix()
            if (
                path.resolve() in skipped
                or relative in NOT_BACKED_UP
                or path.suffix == ".tmp"
                or path.name == ".write-test"
            ):
                continue
            if _is_sqlite(path):
                copy = Path(folder) / "copy.db"
                copy.unlink(missing_ok=True)
                copy_sqlite(path, copy)
                found[relative] = copy.read_bytes()
                sidecars |= {path.with_name(path.name + s) for s in SQLITE_SIDECARS}
            else:
                found[relative] = path.read_bytes()
    for sidecar in sidecars:
        found.pop(sidecar.relative_to(data_dir).as_posix(), None)
    return found


def build(database: DatabaseDump, data: dict[str, bytes]) -> bytes:
    """The archive's plain content: a gzip'd tar with its manifest first."""
    members: dict[str, bytes] = {}
    for name, table in database.tables.items():
        members[f"database/{name}.json"] = json.dumps(
            {"columns": table.columns, "rows": table.rows}, ensure_ascii=False
        ).encode("utf-8")
    for relative, content in data.items():
        members[f"data/{relative}"] = content
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "plenaria_version": metadata.version("plenaria"),
        "database": {
            "engine": database.engine,
            "revision": database.revision,
            "rows": {name: len(table.rows) for name, table in database.tables.items()},
        },
        "members": {
            name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            for name, content in members.items()
        },
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in [
            (MANIFEST, json.dumps(manifest, indent=1).encode()),
            *members.items(),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def seal(plain: bytes, passphrase: str) -> bytes:
    return bytes(pyrage.passphrase.encrypt(plain, passphrase))


def unseal(blob: bytes, passphrase: str) -> Contents:
    """Decrypt and check an archive; every failure is one `ArchiveError` line, and nothing has
    been written anywhere when it is raised."""
    if not blob.startswith(AGE_HEADER):
        raise ArchiveError("it is not a plenaria backup (not an age-encrypted file)")
    try:
        plain = bytes(pyrage.passphrase.decrypt(blob, passphrase))
    except pyrage.DecryptError:
        raise ArchiveError("wrong passphrase, or the archive is damaged") from None
    members = _read_tar(plain)
    raw_manifest = members.pop(MANIFEST, None)
    if raw_manifest is None:
        raise ArchiveError("the archive has no manifest: it is not a plenaria backup")
    try:
        manifest = json.loads(raw_manifest)
        listed: dict[str, dict[str, Any]] = manifest["members"]
        if manifest["format"] != FORMAT:
            raise ArchiveError("it is not a plenaria backup")
        if manifest["format_version"] != FORMAT_VERSION:
            raise ArchiveError(
                f"the archive's format {manifest['format_version']} is not one this version of "
                "plenaria reads"
            )
        revision = str(manifest["database"]["revision"])
        engine = str(manifest["database"]["engine"])
    except (ValueError, KeyError, TypeError):
        raise ArchiveError("the archive's manifest cannot be read: it is damaged") from None
    for name in sorted(set(listed) | set(members)):
        if name not in members:
            raise ArchiveError(f"the archive is damaged: {name} is missing")
        if name not in listed:
            raise ArchiveError(f"the archive is damaged: {name} is not in its manifest")
        if hashlib.sha256(members[name]).hexdigest() != listed[name].get("sha256"):
            raise ArchiveError(f"the archive is damaged: {name} does not match its checksum")
    tables: dict[str, TableRows] = {}
    data: dict[str, bytes] = {}
    for name, content in members.items():
        if name.startswith("database/"):
            table = name.removeprefix("database/").removesuffix(".json")
            try:
                loaded = json.loads(content)
                tables[table] = TableRows(list(loaded["columns"]), list(loaded["rows"]))
            except (ValueError, KeyError, TypeError):
                raise ArchiveError(f"the archive's {name} cannot be read") from None
        else:
            data[name.removeprefix("data/")] = content
    return Contents(manifest, DatabaseDump(engine, revision, tables), data)


def _read_tar(plain: bytes) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
            for info in tar:
                name = info.name
                path = PurePosixPath(name)
                safe = (
                    info.isfile()
                    and not path.is_absolute()
                    and ".." not in path.parts
                    and (name == MANIFEST or path.parts[0] in ("database", "data"))
                    and len(path.parts) >= (1 if name == MANIFEST else 2)
                )
                if not safe or name in members:
                    raise ArchiveError(f"the archive holds an unexpected entry: {name[:80]}")
                extracted = tar.extractfile(info)
                assert extracted is not None  # a regular file
                members[name] = extracted.read()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile):
        raise ArchiveError("the archive's content cannot be read: it is damaged") from None
    return members


def write_data(data: dict[str, bytes], data_dir: Path) -> None:
    """Write the archive's files into the (empty) data folder, private to its owner."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    for relative, content in sorted(data.items()):
        target = data_dir / relative
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())


def write_archive(path: Path, blob: bytes) -> None:
    """Write the archive whole (a temporary name, then renamed), readable by its owner only;
    never over an existing file."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(temporary, path)  # fails if `path` appeared meanwhile
    finally:
        temporary.unlink(missing_ok=True)
