"""A PostgreSQL server of the tests' own, from Debian's `postgresql` package.

initdb and pg_ctl in a temporary folder, listening on 127.0.0.1 at a free port, with a password
for every role (scram-sha-256 over TCP, as production's pgpass does). As root, the server runs as
the unprivileged `postgres` user (initdb refuses root). Durability is switched off: the tests
never survive a power cut, and fsync would only make them slower.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
from psycopg2 import sql

SUPERUSER = "postgres"


class PostgresError(RuntimeError):
    pass


def binaries() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]),
    )
    if not found:
        raise PostgresError(
            "PostgreSQL's server is not installed: `make servers` installs Debian's postgresql"
        )
    return Path(found[-1]).parent


class LocalPostgres:
    def __init__(self, port: int) -> None:
        self.port = port
        self.password = secrets.token_urlsafe(16)
        self.bin = binaries()
        # Under /tmp, not pytest's tmp_path: the postgres user must be able to reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="plenaria-postgres-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise PostgresError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")

    def start(self) -> None:
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_root:
            owner = pwd.getpwnam(SUPERUSER)
            for path in (self.directory, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            self.bin / "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(pwfile),
            "--auth-host=scram-sha-256",
            "--auth-local=peer",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        pwfile.unlink()
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.directory}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
            ]
        )
        self._run(
            self.bin / "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(PostgresError):
            self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    @contextlib.contextmanager
    def _admin(self) -> Iterator[psycopg2.extensions.connection]:
        conn = psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=self.password,
            dbname="postgres",
        )
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.close()

    def create_database(self, name: str | None = None) -> Database:
        """A new, empty database (C collation, as Synapse requires) owned by a role of its own
        with its own password."""
        name = name or f"db_{secrets.token_hex(6)}"
        role = Database(self, name, name, secrets.token_urlsafe(12))
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role.user)),
                (role.password,),
            )
            cur.execute(
                sql.SQL(
                    "CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C' LC_CTYPE 'C'"
                ).format(sql.Identifier(name), sql.Identifier(role.user))
            )
        return role

    def dump(self, name: str) -> bytes:
        """`pg_dump` of one database, as its superuser: everything the database holds at rest,
        as plain SQL."""
        done = subprocess.run(
            [str(self.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
             "--no-password", name],
            capture_output=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )  # fmt: skip
        if done.returncode != 0:
            raise PostgresError(f"pg_dump failed: {done.stderr.decode(errors='replace')[-2000:]}")
        return done.stdout

    def drop_database(self, database: Database) -> None:
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database.name)
                )
            )


class Database:
    """One database on a LocalPostgres, and its owner's credentials."""

    def __init__(self, server: LocalPostgres, name: str, user: str, password: str) -> None:
        self.server = server
        self.name = name
        self.user = user
        self.password = password

    def url(self, driver: str = "postgresql+asyncpg") -> str:
        """A SQLAlchemy URL (plenaria's `database_url`)."""
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.server.port}/{self.name}"

    def synapse_args(self) -> dict[str, object]:
        """`database.args` of a homeserver.yaml (psycopg2)."""
        return {
            "host": "127.0.0.1",
            "port": self.server.port,
            "dbname": self.name,
            "user": self.user,
            "password": self.password,
            "cp_min": 2,
            "cp_max": 10,
        }

    def drop(self) -> None:
        self.server.drop_database(self)
