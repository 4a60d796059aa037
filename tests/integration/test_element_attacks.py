"""The operator against the warden, judged by Element's own crypto (issue #9).

The operator runs the homeserver and the platform: it holds the warden's and the bot's passwords,
the platform's data folder (the warden's access token is in it) and Synapse's admin API. The
warden is a joined member of every experts room, so the question is whom the experts' clients
encrypt to. Here the focal point and the experts of AG use Element's crypto (matrix-js-sdk, Rust
crypto, "exclude insecure devices": room keys only for devices cross-signed by their owner), each
device cross-signed by its owner, on a homeserver whose module names the platform's accounts.

- A sign-in as the warden or the bot, as Element makes it (a new device that would then make a
  new cross-signing identity), is refused by the module (R37).
- Element on the warden's own token publishes device keys for the warden's session: the platform
  reports it in the focal point's desk within seconds and /healthz answers 503; an expert's
  Element withholds the experts room's key from that device (it is not cross-signed by the
  warden's sealed identity), so it reads nothing while the focal point reads everything.
- That holds only while the members' Element excludes insecure devices: with the setting off
  (matrix-js-sdk's default), Element encrypts to the warden's keyed session too.
- With the warden's password the operator can also replace the sealed identity and cross-sign
  that device. Element then encrypts to it: the replacement shows in the experts' own clients
  (a pinned identity that changed) and the platform reports it in every desk at once, but no
  server-side software can stop it. The test states it as it is.
- Afterwards the delegation still talks and the bot still answers.

The tests run in file order on one working group; the last one checks that nothing broke.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse, free_port
from room_policies.roles import DelegationCode, Platform, RoomKind, UserId
from room_policies.rooms import RoomRef
from tests.integration.conftest import SERVER_NAME, RunningBot, unique
from tests.integration.element_client import (
    ALL_DEVICES,
    ElementClient,
    ElementError,
    open_element,
)
from tests.integration.working_group import WorkingGroup, wait_for

# SQLite only: Element's crypto against the platform's devices; the database does not take part
# and the Element bridge is slow to start. `--stacks=all` runs it on both.
pytestmark = pytest.mark.stacks("sqlite")

AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
ELEMENT_SEATS = ("ag.fp", "ag.exp1", "ag.exp2")
WATCH_INTERVAL_S = 2
WITHHELD_UNVERIFIED = "MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE"  # matrix-js-sdk's code

log = logging.getLogger(__name__)


class ElementGroup(WorkingGroup):
    """The working group, its Element clients, and the operator's Element on the warden."""

    elements: dict[str, ElementClient]
    warden_element: ElementClient | None = None
    withheld: list[str]  # experts-room messages whose key the warden's session never got


@pytest.fixture(scope="module")
async def group(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ElementGroup]:
    """A homeserver that knows the platform's two accounts (R37); a working group on it, whose
    key watch looks every two seconds; the operator, the server's administrator; and the focal
    point and the experts of AG in Element, who accept their invitations."""
    localparts = {"bot": unique("bot-"), "warden": unique("warden-")}
    ids = {seat: UserId(f"@{lp}:{SERVER_NAME}") for seat, lp in localparts.items()}
    server = LocalSynapse(
        tmp_path_factory.mktemp("synapse-element"),
        SERVER_NAME,
        free_port(),
        platform=Platform(ids["bot"], ids["warden"]),
    )
    server.start()
    directory = tmp_path_factory.mktemp("element-attacks")
    wg = ElementGroup(
        server,
        directory,
        ("AG",),
        extra_config=f"security: {{key_watch_interval_s: {WATCH_INTERVAL_S}}}\n",
    )
    wg.elements = {}
    wg.withheld = []
    try:
        for seat, localpart in localparts.items():
            password = "Pw-" + secrets.token_urlsafe(12) + "9a"
            await register(server.url, server.registration_secret, localpart, password)
            wg.accounts[seat] = (ids[seat], password)
        await asyncio.gather(*(wg.make_account(s) for s in wg.seats()))
        await wg.make_account("operator", admin=True)
        await wg.start()
        await wg.accept_invites([s for s in wg.seats() if s not in ELEMENT_SEATS])
        for seat in ELEMENT_SEATS:
            wg.elements[seat] = await open_element(
                server.url, *wg.accounts[seat], directory / "element" / f"{seat}.log"
            )
        fp = wg.elements["ag.fp"]
        experts, desk = wg.room_id(AG_EXPERTS), wg.room_id(AG_DESK)
        await fp.wait_joined(desk, fp.user_id, timeout=60)
        for seat in ELEMENT_SEATS:
            await fp.wait_joined(experts, wg.id(seat), timeout=60)
        # The platform pins identities at first sight; it encrypts only to the sessions the
        # pinned identity cross-signed (the focal point's Element device among them).
        identities = running(wg).app.trust.identities

        async def pinned() -> bool:
            return await identities.get(wg.id("ag.fp")) is not None

        await wait_for(pinned, 60, "the focal point's identity pinned")
        yield wg
    finally:
        for element in [*wg.elements.values(), wg.warden_element]:
            if element is not None:
                await element.close()
        await wg.stop()
        server.stop()


def running(group: WorkingGroup) -> RunningBot:
    assert group.bot is not None
    return group.bot


def element(group: ElementGroup, seat: str) -> ElementClient:
    return group.elements[seat]


def warden_element(group: ElementGroup) -> ElementClient:
    assert group.warden_element is not None, "the operator's Element on the warden's token"
    return group.warden_element


async def health(group: WorkingGroup) -> tuple[int, dict[str, Any]]:
    port = running(group).app.http.port
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as resp,
    ):
        return resp.status, await resp.json()


async def devices_of(group: WorkingGroup, seat: str) -> set[str]:
    """The account's devices, as the operator's admin API lists them."""
    admin = await group.as_http("operator")
    status, data = await admin.call(
        "GET", f"/_synapse/admin/v2/users/{quote(group.id(seat))}/devices"
    )
    assert status == 200, data
    return {str(d["device_id"]) for d in data["devices"]}


async def test_the_operator_cannot_sign_in_as_the_warden_or_the_bot_in_element(
    group: ElementGroup,
) -> None:
    directory = group.directory / "element"
    for seat in ("warden", "bot"):
        before = await devices_of(group, seat)
        assert len(before) == 1, before  # the platform's own session, nothing else
        user_id, password = group.accounts[seat]
        client = await ElementClient.open(
            group.synapse.url, user_id, password, directory / f"operator-as-{seat}.log"
        )
        try:
            with pytest.raises(ElementError) as refused:
                await client.login("Element")
        finally:
            await client.close()
        assert (refused.value.status, refused.value.errcode) == (403, "M_FORBIDDEN")
        assert refused.value.data.get("org.plenaria.rule") == "R37", refused.value.data
        assert "second session" in str(refused.value.data.get("org.plenaria.reason")), (
            refused.value.data
        )
        assert await devices_of(group, seat) == before  # no device, so no keys, no identity
    status, body = await health(group)
    assert status == 200 and body["platform_keys"] == "ok", body


async def test_element_on_the_wardens_own_token_is_reported_in_the_desk_within_a_minute(
    group: ElementGroup,
) -> None:
    warden = running(group).app.warden
    assert warden is not None
    # The operator reads the warden's access token from the platform's data folder.
    credentials = running(group).app.settings.data_dir / "matrix" / "warden" / "credentials.json"
    token = json.loads(credentials.read_text(encoding="utf-8"))["access_token"]
    # Its own Element shows whatever it can decrypt, from any device (the setting is its own).
    client = await ElementClient.open(
        group.synapse.url,
        warden.user_id,
        "",
        group.directory / "element" / "operator-token.log",
        isolation=ALL_DEVICES,
    )
    group.warden_element = client
    started = time.monotonic()
    assert await client.use_token(token) == warden.device_id  # the platform's own session
    await client.start_sync()  # Element's crypto publishes device keys for that session
    [device] = await client.devices(warden.user_id)
    assert device.device_id == warden.device_id and not device.signed_by_owner

    fp = element(group, "ag.fp")
    alert = await fp.wait_for_message(
        group.room_id(AG_DESK),
        sender=running(group).user_id,
        body_contains="Security alert",
        timeout=60,
    )
    told_after = time.monotonic() - started
    log.info("the focal point's desk was told %.1f s after the warden's keys appeared", told_after)
    assert told_after < 60, told_after
    assert alert.encrypted and alert.decryption_failure is None and alert.msgtype == "m.notice"
    assert warden.user_id in alert.body and "publishes encryption keys" in alert.body
    assert "write nothing in an experts room" in alert.body, alert.body
    assert warden.device_id in alert.body
    status, body = await health(group)
    assert status == 503 and body["platform_keys"] == "alarm", body
    assert any(warden.device_id in a for a in body["alarms"]), body


async def test_an_experts_element_withholds_the_room_key_from_the_wardens_session(
    group: ElementGroup,
) -> None:
    warden_id = group.id("warden")
    operator_view = warden_element(group)
    device = operator_view.device_id
    assert device is not None
    experts = group.room_id(AG_EXPERTS)
    expert, fp = element(group, "ag.exp1"), element(group, "ag.fp")

    # The expert's client knows the warden's session and its keys, and sees that the warden's
    # identity never signed it (nobody can: its private keys were destroyed).
    async def keys_known() -> bool:
        return any(d.device_id == device for d in await expert.devices(warden_id))

    await wait_for(keys_known, 30, "the expert's client to see the warden's device keys")
    [seen] = await expert.devices(warden_id)
    assert not seen.signed_by_owner
    assert (await expert.key_recipients(experts)).get(warden_id, set()) == set()

    words = "Draft position on paragraph 5: for AG's experts and focal point only."
    sent = await expert.send_text(experts, words)
    assert device not in sent.olm_sent_to.get(warden_id, []), sent
    assert sent.withheld.get(warden_id, {}).get(device) == "m.unverified", sent
    assert fp.device_id in sent.olm_sent_to.get(fp.user_id, []), sent

    group.withheld.append(sent.event_id)
    read = await fp.wait_for_message(experts, event_id=sent.event_id, timeout=60)
    assert read.encrypted and read.body == words
    # The operator's Element is told why: the key is withheld from it as an unverified device.
    failed = await operator_view.wait_for_message(
        experts, event_id=sent.event_id, decryption_failure=WITHHELD_UNVERIFIED, timeout=60
    )
    assert failed.sender == expert.user_id and failed.content == {}, failed
    # No key comes later either: the operator's session never shows the words.
    with pytest.raises(TimeoutError):
        await operator_view.wait_for_message(experts, event_id=sent.event_id, timeout=5)
    assert all(words not in e.body for e in await operator_view.messages(experts))


async def test_with_elements_default_setting_an_expert_encrypts_to_the_wardens_session(
    group: ElementGroup,
) -> None:
    """Why the members' Element must exclude insecure devices, stated as it is: with that
    setting off (matrix-js-sdk's default), Element shares the room key with every device of
    every member, the warden's keyed session included. Here the second expert reads on a
    second device with the setting off."""
    warden_id = group.id("warden")
    operator_view = warden_element(group)
    device = operator_view.device_id
    experts = group.room_id(AG_EXPERTS)
    user_id, password = group.accounts["ag.exp2"]
    default = await open_element(
        group.synapse.url,
        user_id,
        password,
        group.directory / "element" / "ag.exp2-all-devices.log",
        cross_sign=False,  # a new identity would reset the expert's own
        accept_invites=False,
        isolation=ALL_DEVICES,
    )
    try:

        async def keys_known() -> bool:
            return any(d.device_id == device for d in await default.devices(warden_id))

        await wait_for(keys_known, 30, "the second device to see the warden's device keys")
        words = "Sent from a device that encrypts to every session."
        sent = await default.send_text(experts, words)
        assert device in sent.olm_sent_to.get(warden_id, []), sent
        shown = await operator_view.wait_for_message(experts, event_id=sent.event_id, timeout=60)
        assert shown.body == words
    finally:
        await default.close()


async def test_a_replaced_warden_identity_shows_and_is_reported_but_element_encrypts_to_it(
    group: ElementGroup,
) -> None:
    """The limit of what server-side software can do, stated as it is.

    The operator holds the warden's password (and could reset it, or let Synapse's admin API
    waive the check), so on the warden's own session it replaces the sealed identity with one
    of its own and cross-signs that session. Element, excluding insecure devices, shares room
    keys with every device cross-signed by its owner's *current* identity; a changed identity
    that the sender had only pinned (not verified) makes it warn, not withhold
    (matrix-rust-sdk's identity-based strategy refuses only for verified identities). So the
    next message of the experts room reaches the operator. What holds: the change shows in
    every member's own Element (the warden's identity needs their approval), the platform
    reports it in the desk within seconds and /healthz fails, and nothing written before the
    change becomes readable."""
    warden_id = group.id("warden")
    operator_view = warden_element(group)
    device = operator_view.device_id
    experts = group.room_id(AG_EXPERTS)
    expert, fp = element(group, "ag.exp1"), element(group, "ag.fp")
    before = await expert.user_verification(warden_id)
    assert before["known"] and not before["verified"] and not before["needs_user_approval"]

    started = time.monotonic()
    status = await operator_view.bootstrap_cross_signing(password=group.accounts["warden"][1])
    assert status["device_signed_by_owner"], status

    alert = await fp.wait_for_message(
        group.room_id(AG_DESK),
        sender=running(group).user_id,
        body_contains="was replaced",
        timeout=60,
    )
    told_after = time.monotonic() - started
    log.info("the focal point's desk was told %.1f s after the identity was replaced", told_after)
    assert told_after < 60, told_after
    assert alert.decryption_failure is None and warden_id in alert.body
    assert "write nothing" in alert.body, alert.body
    status_code, body = await health(group)
    assert status_code == 503 and any("was replaced" in a for a in body["alarms"]), body

    # Every member's Element shows it: the warden's identity is not the one it pinned.
    async def shown() -> bool:
        return bool((await expert.user_verification(warden_id))["needs_user_approval"])

    await wait_for(shown, 30, "the expert's client to see the warden's identity change")

    async def signed() -> bool:
        return any(
            d.device_id == device and d.signed_by_owner for d in await expert.devices(warden_id)
        )

    await wait_for(signed, 30, "the expert's client to see the warden's session signed")
    assert device in (await expert.key_recipients(experts))[warden_id]

    # And it encrypts to it, unasked.
    words = "Second draft on paragraph 5."
    sent = await expert.send_text(experts, words)
    assert device in sent.olm_sent_to.get(warden_id, []), sent
    assert (await operator_view.wait_for_message(experts, event_id=sent.event_id)).body == words

    # What was written before the change stays closed to it (no key is forwarded to it).
    for event_id in group.withheld:
        with pytest.raises(TimeoutError):
            await operator_view.wait_for_message(experts, event_id=event_id, timeout=5)


async def test_afterwards_the_delegation_still_talks_and_the_bot_still_answers(
    group: ElementGroup,
) -> None:
    experts, desk = group.room_id(AG_EXPERTS), group.room_id(AG_DESK)
    fp, exp1, exp2 = (element(group, seat) for seat in ELEMENT_SEATS)
    said = await fp.send_text(experts, "Thank you; I will present the position on Thursday.")
    for expert in (exp1, exp2):
        seen = await expert.wait_for_message(experts, event_id=said.event_id, timeout=60)
        assert seen.encrypted and seen.body.startswith("Thank you")
    for expert in (exp1, exp2):
        noted = await expert.send_text(experts, f"Noted ({expert.user_id}).")
        seen = await fp.wait_for_message(experts, event_id=noted.event_id, timeout=60)
        assert seen.encrypted and seen.body == f"Noted ({expert.user_id})."
        other = exp2 if expert is exp1 else exp1
        assert (await other.wait_for_message(experts, event_id=noted.event_id)).body == seen.body

    bot_id = running(group).user_id
    command = await fp.send_text(desk, "!help")
    answer = await fp.wait_for_message(desk, sender=bot_id, relates_to=command.event_id, timeout=60)
    assert answer.encrypted and answer.decryption_failure is None
    assert answer.msgtype == "m.notice" and "!experts" in answer.body
    assert answer.relates_to["rel_type"] == "m.thread"
    assert answer.relates_to["event_id"] == command.event_id
