"""Losing nothing: a bot killed with SIGKILL, a homeserver restarted under a running bot."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from bot.accounts.homeserver import register
from bot.demo.synapse_server import free_port
from bot.runtime.app import build_app
from bot.runtime.settings import load_settings
from tests.integration.conftest import (
    SERVER_NAME,
    BotProcess,
    RunningBot,
    query_keys,
    write_bot_config,
)
from tests.integration.matrix_user import MatrixUser

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")


async def _status(url: str) -> int:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            return resp.status
    except aiohttp.ClientError:
        return 0


async def _eventually_status(url: str, expected: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await _status(url) == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered {expected}")


async def test_sigkill_then_restart_answers_each_missed_command_once(
    synapse, make_account, make_user, tmp_path
) -> None:
    user_id, password = await make_account("bot")
    port = free_port()
    # A sync carries two events per room: the missed commands come back through a gap that
    # the bot must page back through, not in one sync.
    config = write_bot_config(
        tmp_path / "bot", synapse, user_id, password, http_port=port, timeline_limit=2
    )
    bot = BotProcess(config, port)
    bot.start()
    try:
        await bot.healthy()
        credentials = tmp_path / "bot" / "data" / "matrix" / "bot" / "credentials.json"
        device_before = json.loads(credentials.read_text())["device_id"]

        alice = await make_user("alice")
        room_id = await alice.create_encrypted_room([user_id])
        await alice.wait_joined(room_id, user_id)
        answered = await alice.send_text(room_id, "!ping")
        await alice.wait_reply(answered)

        bot.kill()
        missed = [await alice.send_text(room_id, "!ping") for _ in range(5)]

        bot.start()
        await bot.healthy()
        for event_id in missed:
            await alice.wait_reply(event_id)
        # One more round trip, so that any duplicate would have arrived by now.
        await alice.wait_reply(await alice.send_text(room_id, "!ping"))
        await asyncio.sleep(1)

        assert [len(alice.replies_to(e)) for e in missed] == [1, 1, 1, 1, 1]
        assert len(alice.replies_to(answered)) == 1, "an old command was answered again"
        assert json.loads(credentials.read_text())["device_id"] == device_before
        keys = await query_keys(synapse.url, alice, user_id)
        assert list(keys["device_keys"][user_id]) == [device_before], "a restart added a device"
    finally:
        bot.terminate()


async def test_homeserver_restart_under_a_running_bot(own_homeserver, tmp_path) -> None:
    server = own_homeserver
    server.start()
    bot: RunningBot | None = None
    alice: MatrixUser | None = None
    try:
        await register(server.url, server.registration_secret, "bot", "bot-password-1")
        await register(server.url, server.registration_secret, "alice", "alice-password-1")
        config = write_bot_config(
            tmp_path / "bot", server, f"@bot:{SERVER_NAME}", "bot-password-1", free_port()
        )
        bot = await RunningBot(build_app(load_settings(config))).ready()
        health = f"http://127.0.0.1:{bot.app.http.port}/healthz"
        metrics = f"http://127.0.0.1:{bot.app.http.port}/metrics"
        alice = MatrixUser(
            server.url, f"@alice:{SERVER_NAME}", "alice-password-1", tmp_path / "alice"
        )
        await alice.login()
        room_id = await alice.create_encrypted_room([bot.user_id])
        await alice.wait_joined(room_id, bot.user_id)
        await alice.wait_reply(await alice.send_text(room_id, "!ping"))
        assert await _status(health) == 200

        server.stop()
        await _eventually_status(health, 503)
        await asyncio.sleep(2)  # the bot keeps trying, backing off
        server.start()
        await _eventually_status(health, 200, timeout=60)

        pong = await alice.wait_reply(await alice.send_text(room_id, "!ping"), timeout=60)
        assert pong.body.startswith("pong")

        # The reply is sent before the bot counts it: read until the count has caught up.
        expected = (
            'plenaria_events_handled_total{outcome="ok"} 2.0',
            'plenaria_commands_total{command="ping"} 2.0',
            "plenaria_sync_failures_total",
            "plenaria_sync_lag_seconds",
            "plenaria_handler_errors_total 0.0",
        )
        deadline = time.monotonic() + 10
        while True:
            async with aiohttp.ClientSession() as http, http.get(metrics) as resp:
                assert resp.status == 200
                text = await resp.text()
            missing = [name for name in expected if name not in text]
            if not missing:
                break
            assert time.monotonic() < deadline, f"metrics lack {missing}"
            await asyncio.sleep(0.2)
        failures = next(
            line for line in text.splitlines() if line.startswith("plenaria_sync_failures_total")
        )
        assert float(failures.split()[-1]) >= 1
    finally:
        if alice is not None:
            await alice.close()
        if bot is not None:
            await bot.stop()
        server.stop()
