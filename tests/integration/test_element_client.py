"""Element's own crypto (matrix-js-sdk, "exclude insecure devices") against the real homeserver.

These tests pin down how the Element client of the tests decides whom it encrypts to and whose
messages it shows, so that the attack tests built on it test Element's behaviour, not ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import LoginResponse, MegolmEvent

from bot.demo.synapse_server import LocalSynapse
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from tests.integration.conftest import MakeAccount, MakeElement
from tests.integration.element_client import (
    UNSIGNED_SENDER_DEVICE,
    ElementClient,
    ElementError,
    open_element,
)
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, login

# SQLite only: Element's crypto against the platform's devices; the database does not take part
# and the Element bridge is slow to start. `--stacks=all` runs it on both.
pytestmark = pytest.mark.stacks("sqlite")

AG_DESK = RoomRef(RoomKind.DESK, delegation="AG")  # type: ignore[arg-type]


class UncrossSignedUser(MatrixUser):
    """A nio device that its owner has not cross-signed (device keys only)."""

    async def login(self) -> MatrixUser:
        resp = await self.client.login(self.password, device_name="uncross-signed device")
        assert isinstance(resp, LoginResponse), resp
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self.sync_once(timeout=0)
        self._task = asyncio.create_task(self._loop())
        return self


@pytest.fixture
async def uncross_signed(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> AsyncIterator[MatrixUser]:
    user_id, password = await make_account("nio")
    user = UncrossSignedUser(synapse.url, user_id, password, tmp_path / "nio")
    await user.login()
    yield user
    await user.close()


async def test_a_refused_login_names_the_errcode_and_status(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> None:
    user_id, _ = await make_account("element")
    element = await ElementClient.open(synapse.url, user_id, "not-the-password", tmp_path / "e.log")
    try:
        with pytest.raises(ElementError) as refused:
            await element.login()
        assert refused.value.errcode == "M_FORBIDDEN"
        assert refused.value.status == 403
        assert refused.value.op == "login"
    finally:
        await element.close()


async def test_a_session_from_a_token_another_login_made(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> None:
    user_id, password = await make_account("element")
    http = await login(synapse.url, user_id, password)
    status, who = await http.call("GET", "/_matrix/client/v3/account/whoami")
    assert status == 200
    element = await ElementClient.open(synapse.url, user_id, "", tmp_path / "e.log")
    try:
        assert await element.use_token(http.token) == who["device_id"]
        await element.start_sync()
        [device] = await element.devices(user_id)
        assert device.device_id == who["device_id"] and not device.signed_by_owner
    finally:
        await element.close()


async def test_two_cross_signed_element_clients_read_each_other(
    make_element: MakeElement,
) -> None:
    alice = await make_element()
    bob = await make_element()
    assert alice.sdk_version is not None
    own = await alice.devices(alice.user_id)
    assert [(d.device_id, d.signed_by_owner) for d in own] == [(alice.device_id, True)]

    room_id = await alice.create_encrypted_room([bob.user_id])
    await alice.wait_joined(room_id, bob.user_id)
    recipients = await alice.key_recipients(room_id)
    assert recipients[bob.user_id] == {bob.device_id}

    sent = await alice.send_text(room_id, "Good morning, Bob.", html="<p>Good morning, Bob.</p>")
    assert bob.device_id in sent.olm_sent_to[bob.user_id]
    seen = await bob.wait_for_message(room_id, event_id=sent.event_id)
    assert seen.encrypted and seen.decryption_failure is None
    assert (seen.type, seen.sender, seen.msgtype) == ("m.room.message", alice.user_id, "m.text")
    assert seen.body == "Good morning, Bob."
    assert (seen.format, seen.formatted_body) == (
        "org.matrix.custom.html",
        "<p>Good morning, Bob.</p>",
    )
    assert await bob.encryption_info(sent.event_id) == ("NONE", None)

    answer = await bob.send_text(room_id, "Good morning, Alice.", thread_root=sent.event_id)
    threaded = await alice.wait_for_message(room_id, relates_to=sent.event_id)
    assert threaded.event_id == answer.event_id
    assert threaded.body == "Good morning, Alice."
    assert threaded.relates_to["rel_type"] == "m.thread"
    assert threaded.relates_to["event_id"] == sent.event_id

    # The other operations the attack tests use.
    trust = await bob.user_verification(alice.user_id)
    assert not trust["verified"] and not trust["needs_user_approval"]
    await bob.pin_identity(alice.user_id)
    custom = await alice.send_event(room_id, "org.plenaria.test", {"n": 1})
    seen_custom = await bob.wait_for_message(room_id, event_id=custom.event_id)
    assert (seen_custom.type, seen_custom.content, seen_custom.encrypted) == (
        "org.plenaria.test",
        {"n": 1},
        True,
    )
    assert (await alice.send_state(room_id, "m.room.topic", {"topic": "Tests"})).startswith("$")
    assert (await bob.redact(room_id, answer.event_id)).startswith("$")
    await bob.leave(room_id)


async def test_exclude_insecure_devices_neither_shows_nor_encrypts_to_an_unsigned_device(
    make_element: MakeElement, uncross_signed: MatrixUser
) -> None:
    nio = uncross_signed
    alice = await make_element()
    carol = await make_element()  # a cross-signed member: the message does go out
    room_id = await alice.create_encrypted_room([nio.user_id, carol.user_id])
    await nio.client.join(room_id)
    await alice.wait_joined(room_id, nio.user_id)
    await alice.wait_joined(room_id, carol.user_id)

    devices = await alice.room_devices(room_id)
    [nio_device] = devices[nio.user_id]
    assert nio_device.device_id == nio.client.device_id
    assert not nio_device.signed_by_owner
    assert nio.user_id not in {u for u, d in (await alice.key_recipients(room_id)).items() if d}

    # What the unsigned device sends, Element does not show.
    await nio.wait_joined(room_id, alice.user_id)
    insecure = await nio.send_text(room_id, "Sent from a device nobody vouched for.")
    refused = await alice.wait_for_message(
        room_id, event_id=insecure, decryption_failure=UNSIGNED_SENDER_DEVICE, timeout=60
    )
    assert refused.sender == nio.user_id and refused.content == {}
    assert all(
        e.body != "Sent from a device nobody vouched for." for e in await alice.messages(room_id)
    )

    # What Element sends, the unsigned device cannot read; a cross-signed member can.
    sent = await alice.send_text(room_id, "For cross-signed devices only.")
    assert nio.client.device_id not in sent.olm_sent_to.get(nio.user_id, [])
    assert carol.device_id in sent.olm_sent_to[carol.user_id]
    assert sent.withheld.get(nio.user_id, {}).get(nio.client.device_id) == "m.unverified"
    shown = await carol.wait_for_message(room_id, event_id=sent.event_id)
    assert shown.body == "For cross-signed devices only."
    _, event = await nio.wait_for(lambda _, e: e.event_id == sent.event_id)
    for _ in range(3):  # a few more syncs: no key comes later either
        await nio.sync_once(timeout=0)
    _, event = await nio.wait_for(lambda _, e: e.event_id == sent.event_id)
    assert isinstance(event, MegolmEvent)


@pytest.fixture
async def group(synapse: LocalSynapse, tmp_path: Path) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path / "wg", ("AG",))
    await wg.create_accounts()
    await wg.start()
    yield wg
    await wg.stop()


async def test_the_bot_answers_an_element_focal_point_who_excludes_insecure_devices(
    group: WorkingGroup, tmp_path: Path
) -> None:
    fp = await open_element(
        group.synapse.url, *group.accounts["ag.fp"], tmp_path / "element" / "ag-fp.log"
    )
    try:
        desk = group.room_id(AG_DESK)
        await fp.wait_joined(desk, fp.user_id, timeout=60)
        bot_id = group.id("bot")
        bot_devices = await fp.devices(bot_id)
        assert bot_devices and all(d.signed_by_owner for d in bot_devices)

        # In a direct message with the bot, !ping; in the desk, !help.
        direct = await fp.create_encrypted_room([bot_id], name="bot")
        await fp.wait_joined(direct, bot_id)
        ping = await fp.send_text(direct, "!ping")
        pong = await fp.wait_for_message(direct, sender=bot_id, relates_to=ping.event_id)
        assert pong.encrypted and pong.decryption_failure is None
        assert pong.msgtype == "m.notice" and pong.body.startswith("pong (")

        command = await fp.send_text(desk, "!help")
        assert bot_id in await fp.key_recipients(desk)
        answer = await fp.wait_for_message(
            desk, sender=bot_id, relates_to=command.event_id, timeout=60
        )
        assert answer.encrypted and answer.decryption_failure is None
        assert answer.msgtype == "m.notice" and "!experts" in answer.body
        assert answer.relates_to["rel_type"] == "m.thread"
    finally:
        await fp.close()
