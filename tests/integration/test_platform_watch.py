"""The platform's own accounts, watched (bot/governance/platform_watch.py), on a real Synapse.

The operator holds the bot's and the warden's passwords and Synapse's admin API. A session, a
device key or a cross-signing identity of those accounts that the platform did not make is
reported at once in the moderation room and in every desk, audited, counted in /metrics, and
/healthz answers 503 with the reason while it lasts. The warden's identity is sealed: it has
one, and its private keys are nowhere on disk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import pytest
from nio import RoomMessage

from bot.demo.synapse_server import LocalSynapse
from bot.matrix.e2ee import CrossSigningKeys, upload_cross_signing_keys
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, wait_for

MODERATION = RoomRef(RoomKind.MODERATION)
AG_DESK = RoomRef(RoomKind.DESK, delegation="AG")  # type: ignore[arg-type]
BR_DESK = RoomRef(RoomKind.DESK, delegation="BR")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(
        synapse,
        tmp_path_factory.mktemp("watch"),
        ("AG", "BR"),
        extra_config="security: {key_watch_interval_s: 1}\n",
    )
    await wg.create_accounts()
    await wg.make_account("operator", admin=True)
    await wg.start()
    await wg.accept_invites()
    wg.people = {s: await wg.matrix_user(s) for s in ("chair", "ag.fp", "br.fp")}  # type: ignore[attr-defined]
    yield wg
    await wg.stop()


def person(group: WorkingGroup, seat: str) -> MatrixUser:
    return group.people[seat]  # type: ignore[attr-defined,no-any-return]


async def health(group: WorkingGroup) -> tuple[int, dict[str, object]]:
    port = group.bot.app.http.port  # type: ignore[union-attr]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as resp,
    ):
        return resp.status, await resp.json()


async def metric(group: WorkingGroup, name: str) -> str:
    port = group.bot.app.http.port  # type: ignore[union-attr]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        text = await resp.text()
    return "\n".join(line for line in text.splitlines() if line.startswith(name))


def alert(room: str, words: str) -> object:
    def match(room_id: str, event: object) -> bool:
        body = str(getattr(event, "body", ""))
        return (
            room_id == room
            and isinstance(event, RoomMessage)
            and body.startswith("Security alert")
            and words in body
        )

    return match


async def test_the_warden_has_a_sealed_identity_and_no_keys(group: WorkingGroup) -> None:
    app = group.bot.app  # type: ignore[union-attr]
    warden = app.warden
    assert warden is not None
    keys = await app.gateway.keys_of(warden.user_id)
    assert keys["master_keys"][warden.user_id]["keys"], "the warden has a cross-signing identity"
    assert not keys.get("device_keys", {}).get(warden.user_id), "and no device keys"
    # No private cross-signing key of the warden is kept anywhere in the platform's data.
    leftovers = [p.name for p in app.settings.data_dir.rglob("*") if "cross_signing" in p.name]
    assert all("warden" not in str(p) for p in app.settings.data_dir.rglob("cross_signing*"))
    assert leftovers == ["cross_signing.json"]  # the bot's own, which signs its own device
    status, body = await health(group)
    assert status == 200 and body["platform_keys"] == "ok", body


async def test_a_session_the_operator_adds_to_the_warden_is_reported_everywhere(
    group: WorkingGroup,
) -> None:
    app = group.bot.app  # type: ignore[union-attr]
    warden = app.warden
    assert warden is not None
    admin = await group.as_http("operator")
    devices = f"/_synapse/admin/v2/users/{quote(warden.user_id)}/devices"
    status, data = await admin.call("POST", devices, {"device_id": "OPERATOR"})
    assert status == 201 or status == 200, data

    words = "warden account"
    for seat, ref in (("chair", MODERATION), ("ag.fp", AG_DESK), ("br.fp", BR_DESK)):
        await person(group, seat).wait_for(alert(group.room_id(ref), words), timeout=60)  # type: ignore[arg-type]
    status, body = await health(group)
    assert status == 503 and body["platform_keys"] == "alarm", body
    assert any("OPERATOR" in a for a in body["alarms"]), body  # type: ignore[union-attr]
    assert 'account="warden"' in await metric(group, "plenaria_platform_key_alarms_total")
    audit = await app.governance.audit_latest(50)
    assert any(r.action == "key watch" and "OPERATOR" in r.reason for r in audit)

    # Once the device is gone, the alarm is over and /healthz is 200 again.
    status, data = await admin.call("DELETE", f"{devices}/OPERATOR")
    assert status == 200, data

    async def healthy() -> bool:
        return (await health(group))[0] == 200

    await wait_for(healthy, 30, "the alarm to clear")


async def test_device_keys_or_a_new_identity_on_the_warden_are_reported(
    group: WorkingGroup,
) -> None:
    app = group.bot.app  # type: ignore[union-attr]
    warden = app.warden
    assert warden is not None
    moderation = group.room_id(MODERATION)
    chair = person(group, "chair")
    # With the warden's token (the operator can read it from the data folder), a new identity:
    keys = CrossSigningKeys.generate()
    await upload_cross_signing_keys(warden.request, warden.user_id, warden.password, keys)
    await chair.wait_for(alert(moderation, "cross-signing identity"), timeout=60)  # type: ignore[arg-type]
    # and device keys for its session, so that clients would encrypt to it:
    device = {
        "user_id": warden.user_id,
        "device_id": warden.device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {
            f"curve25519:{warden.device_id}": "A" * 43,
            f"ed25519:{warden.device_id}": "B" * 43,
        },
        "signatures": {warden.user_id: {f"ed25519:{warden.device_id}": "C" * 86}},
    }
    status, data = await warden.request(
        "POST", "/_matrix/client/v3/keys/upload", {"device_keys": device}
    )
    assert status == 200, data
    await chair.wait_for(alert(moderation, "publishes encryption keys"), timeout=60)  # type: ignore[arg-type]
    status, body = await health(group)
    assert status == 503, body


async def test_a_second_session_of_the_bot_is_reported(group: WorkingGroup) -> None:
    app = group.bot.app  # type: ignore[union-attr]
    admin = await group.as_http("operator")
    devices = f"/_synapse/admin/v2/users/{quote(app.gateway.user_id)}/devices"
    status, data = await admin.call("POST", devices, {"device_id": "SHADOW"})
    assert status in (200, 201), data
    await person(group, "ag.fp").wait_for(
        alert(group.room_id(AG_DESK), "bot account"),  # type: ignore[arg-type]
        timeout=60,
    )
    status, data = await admin.call("DELETE", f"{devices}/SHADOW")
    assert status == 200, data
