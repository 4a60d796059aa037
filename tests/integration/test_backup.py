"""`plenaria backup` and `plenaria restore` (issue #13): an archive taken while the bot runs
brings it back, after its data folder and database are wiped, as the same device, answering what
arrived while it was down, once; on SQLite and on PostgreSQL, and from one to the other."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg2
import pytest

from bot.cli.main import main
from bot.demo.synapse_server import LocalSynapse, free_port
from bot.runtime.settings import load_settings
from bot.storage import archive, snapshot
from bot.storage.database import AuditLog, AuditRecord, Database, RosterRepository
from tests.integration.conftest import BotProcess, query_keys
from tests.integration.working_group import WorkingGroup, wait_for
from tests.servers.postgres import Database as PostgresDatabase
from tests.servers.postgres import LocalPostgres

PASSPHRASE = "correct horse battery staple"


def plenaria(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The `plenaria` command line as a process of its own, as the operator runs it."""
    command = [sys.executable, "-m", "bot.cli.main", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def wipe(database: PostgresDatabase) -> None:
    """Every table of the database gone (its owner drops and remakes the schema)."""
    conn = psycopg2.connect(
        host="127.0.0.1",
        port=database.server.port,
        user=database.user,
        password=database.password,
        dbname=database.name,
    )
    conn.autocommit = True
    with conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    conn.close()


async def keys_call(url: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/_matrix/client/v3/keys/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        data: dict[str, Any] = await resp.json()
        assert resp.status == 200, data
        return data


async def claim(url: str, token: str, user_id: str, device: str, count: int) -> None:
    """`count` of the device's one-time keys claimed, one a request, as a client opening an Olm
    session with it does."""
    for _ in range(count):
        wanted = {"one_time_keys": {user_id: {device: "signed_curve25519"}}}
        claimed = await keys_call(url, token, "claim", wanted)
        assert claimed["one_time_keys"][user_id][device], "no key left to claim"


async def key_count(url: str, bot_token: str) -> int:
    """How many one-time keys the homeserver holds for the bot's device (an empty upload)."""
    counts = (await keys_call(url, bot_token, "upload", {}))["one_time_key_counts"]
    return int(counts.get("signed_curve25519", 0))


async def provisioned(bot: BotProcess) -> None:
    async def done() -> bool:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{bot.http_port}/metrics") as resp,
        ):
            return "\nplenaria_provisioned 1.0" in await resp.text()

    await bot.healthy()
    await wait_for(done, 120, "the bot's rooms provisioned")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_a_backup_taken_while_running_restores_the_same_bot(
    engine: str, synapse: LocalSynapse, postgres: LocalPostgres, tmp_path: Path
) -> None:
    database = postgres.create_database() if engine == "postgresql" else None
    group = WorkingGroup(
        synapse,
        tmp_path,
        ("AG",),
        extra_config=f"database_url: {database.url()}\n" if database else "",
    )
    await group.create_accounts()
    http_port = free_port()
    config = group.write_config(http_port)
    settings = load_settings(config)
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    backup = tmp_path / "backups" / "plenaria.age"
    backup.parent.mkdir()
    bot = BotProcess(config, http_port)
    bot.start()
    try:
        await provisioned(bot)
        credentials = settings.data_dir / "matrix" / "bot" / "credentials.json"
        device = json.loads(credentials.read_text())["device_id"]
        fp = await group.matrix_user("ag.fp")
        direct = await fp.create_encrypted_room([group.id("bot")])
        await fp.wait_joined(direct, group.id("bot"))
        answered = await fp.send_text(direct, "!ping")
        await fp.wait_reply(answered, timeout=60)

        made = plenaria(
            "backup", "--config", config, "-o", backup, "--passphrase-file", tmp_path / "passphrase"
        )
        assert made.returncode == 0, made.stderr
        assert f"the bot's device {device}" in made.stdout
        assert backup.stat().st_mode & 0o077 == 0
        # After the backup, people's clients claim one-time keys of the bot to open Olm sessions
        # with it; the running bot publishes new ones, numbered on from its counter. The
        # archive's account does not know them: the keys the homeserver now hands out are ones
        # the restored bot does not hold, and its own next keys have the same ids.
        bot_token = json.loads(credentials.read_text())["access_token"]
        fp_token = str(fp.client.access_token)
        await claim(synapse.url, fp_token, group.id("bot"), device, 49)
        # (nio reads the key count only from a sync that brings something: a typing notice.)
        await fp.client.room_typing(direct, True)

        async def refilled() -> bool:
            return await key_count(synapse.url, bot_token) == 50

        await wait_for(refilled, 30, "the running bot to publish new one-time keys")
        bot.terminate()
        await claim(synapse.url, fp_token, group.id("bot"), device, 1)
        missed = await fp.send_text(direct, "!ping")

        # Into the data folder and database it came from: refused, one line, exit 1.
        restore = ("restore", backup, "--config", config, "--passphrase-file",
                   tmp_path / "passphrase")  # fmt: skip
        refused = plenaria(*restore)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            f"plenaria: refusing to restore: the data folder {settings.data_dir} is not empty"
        )
        # Wiped: the data folder (SQLite's database lives there, and goes with it) and the
        # PostgreSQL database (a restore into a non-empty one: the cheaper test below).
        shutil.rmtree(settings.data_dir)
        if database is not None:
            wipe(database)
        restored = plenaria(*restore)
        assert restored.returncode == 0, restored.stderr
        marker = credentials.parent / "renew-one-time-keys"
        assert marker.exists()
        if engine == "postgresql":
            # A data folder brought back some other way (a copy of the disk) has no marker: the
            # upload the homeserver refuses ("… already exists") makes the bot replace its keys.
            marker.unlink()
        bot.start()
        await bot.healthy()
        assert json.loads(credentials.read_text())["device_id"] == device
        await fp.wait_reply(missed, timeout=60)
        assert "replaced the one-time keys" in bot.log.read_text()
        assert not marker.exists()
        # Someone new opens an Olm session with the restored device: the key they claim is one
        # it holds (the homeserver hands out its oldest first; the lost ones are gone).
        exp = await group.matrix_user("ag.exp1")
        other = await exp.create_encrypted_room([group.id("bot")])
        await exp.wait_joined(other, group.id("bot"))
        await exp.wait_reply(await exp.send_text(other, "!ping"), timeout=60)
        # One more round trip, so that any duplicate would have arrived by now.
        await fp.wait_reply(await fp.send_text(direct, "!ping"), timeout=60)
        await asyncio.sleep(1)
        assert len(fp.replies_to(missed)) == 1
        assert len(fp.replies_to(answered)) == 1, "an earlier command was answered again"
        keys = await query_keys(synapse.url, fp, group.id("bot"))
        assert list(keys["device_keys"][group.id("bot")]) == [device], "a restore added a device"
    finally:
        bot.terminate()
        await group.stop()


def _config(folder: Path, database_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bot-password").write_text("unused")
    config = folder / "config.yaml"
    config.write_text(
        "\n".join(
            [
                "homeserver_url: http://127.0.0.1:1",
                "server_name: test.plenaria",
                "data_dir: ./data",
                f"database_url: {database_url}" if database_url else "",
                'bot: {user_id: "@bot:test.plenaria", password_file: ./bot-password}',
                "",
            ]
        )
    )
    return config


async def _fill(url: str, data_dir: Path) -> None:
    """A platform's database with rows in tables with ids, foreign keys and dates, and a data
    folder with an SQLite store, a saved login and a stored file."""
    db = Database(url)
    await db.migrate()
    await db.put("sync_token", "s42_1")
    await db.mark_handled("$ping:test.plenaria", "!room:test.plenaria", "ok")
    await RosterRepository(db).save("working_group: Test\n", "file")
    for n in range(3):
        await AuditLog(db).append(AuditRecord("@chair:t", "ping", "!r", "", "ok", "R1", f"n{n}"))
    await db.close()
    store = data_dir / "matrix" / "bot"
    store.mkdir(parents=True)
    (store / "credentials.json").write_text(json.dumps({"device_id": "DEVICEONE"}))
    import sqlite3

    with sqlite3.connect(store / "@bot:test.plenaria_DEVICEONE.db") as nio:
        nio.execute("create table accounts (pickle text)")
        nio.execute("insert into accounts values ('olm account')")
    (data_dir / "files" / "ab").mkdir(parents=True)
    (data_dir / "files" / "ab" / "abcdef").write_bytes(b"a document")


def test_sqlite_into_postgresql_and_every_damage_refused(
    postgres: LocalPostgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    source = _config(tmp_path / "sqlite", "")
    settings = load_settings(source)
    asyncio.run(_fill(settings.database_url, settings.data_dir))
    archive_file = tmp_path / "one.age"
    assert main(["backup", "--config", str(source), "-o", str(archive_file),
                 "--passphrase-file", str(passphrase)]) == 0  # fmt: skip
    assert main(["backup", "--config", str(source), "-o", str(archive_file),
                 "--passphrase-file", str(passphrase)]) == 1  # fmt: skip
    assert "already exists" in capsys.readouterr().err

    target = postgres.create_database()
    into_pg = _config(tmp_path / "pg", target.url())
    pg = load_settings(into_pg)

    def restore(file: Path, secret: Path = passphrase) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["restore", str(file), "--config", str(into_pg),
                     "--passphrase-file", str(secret)])  # fmt: skip
        return code, capsys.readouterr().err

    # Damage of every kind: one line, exit 1, nothing written.
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase")
    blob = archive_file.read_bytes()
    flipped = tmp_path / "flipped.age"
    flipped.write_bytes(blob[:-40] + bytes([blob[-40] ^ 1]) + blob[-39:])
    plain = tmp_path / "plain.tar"
    plain.write_bytes(b"just some bytes")
    # A manifest that does not match its members, sealed with the right passphrase.
    forged = archive.build(
        asyncio.run(snapshot.dump(settings.database_url)),
        archive.collect(settings.data_dir, snapshot.sqlite_file(settings.database_url)),
    )
    forged_file = tmp_path / "forged.age"
    forged_file.write_bytes(archive.seal(_swap_member(forged, "data/files/ab/abcdef"), PASSPHRASE))
    for file, secret, said in [
        (archive_file, wrong, "wrong passphrase, or the archive is damaged"),
        (flipped, passphrase, "wrong passphrase, or the archive is damaged"),
        (plain, passphrase, "not a plenaria backup"),
        (forged_file, passphrase, "data/files/ab/abcdef does not match its checksum"),
    ]:
        code, err = restore(file, secret)
        assert code == 1 and len(err.splitlines()) == 1 and said in err, (file, err)
        assert not pg.data_dir.exists()
        assert asyncio.run(snapshot.tables_in(target.url())) == []

    code, err = restore(archive_file)
    assert code == 0, err
    original = asyncio.run(snapshot.dump(settings.database_url))
    moved = asyncio.run(snapshot.dump(target.url()))
    assert moved.engine == "postgresql" and original.engine == "sqlite"
    assert moved.tables == original.tables and moved.revision == original.revision
    assert (pg.data_dir / "files" / "ab" / "abcdef").read_bytes() == b"a document"
    import sqlite3

    with sqlite3.connect(pg.data_dir / "matrix" / "bot" / "@bot:test.plenaria_DEVICEONE.db") as nio:
        assert nio.execute("select pickle from accounts").fetchall() == [("olm account",)]

    async def add_after_restore() -> list[int | None]:
        db = Database(target.url())
        await db.migrate()
        log = AuditLog(db)
        await log.append(AuditRecord("@chair:t", "ping", "!r", "", "ok", "R1", "after"))
        ids = [r.id for r in await log.latest(4)]
        await db.close()
        return ids

    # The sequences moved past the restored ids: a new row gets a new id.
    assert asyncio.run(add_after_restore()) == [4, 3, 2, 1]
    code, err = restore(archive_file)
    assert code == 1 and "is not empty" in err

    handled_at = datetime.fromisoformat(moved.tables["handled_events"].rows[0][3])
    assert abs(handled_at - datetime.now(UTC)) < timedelta(hours=1)


def _swap_member(plain: bytes, name: str) -> bytes:
    """The same archive with one member's bytes changed and its manifest left as it was."""
    import io
    import tarfile

    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for info in source:
            data = source.extractfile(info)
            assert data is not None
            content = data.read()
            if info.name == name:
                content = b"another document"
                info.size = len(content)
            target.addfile(info, io.BytesIO(content))
    return out.getvalue()
