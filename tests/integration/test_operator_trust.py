"""The server's operator cannot act as a delegation (SPEC §2, "The server operator";
room_policies.trust T1–T5), on a real Synapse with real E2EE clients.

The operator holds an admin account: it mints tokens for anyone (`/_synapse/admin/v1/users/…/
login`), resets passwords (`/_synapse/admin/v1/reset_password/…`), and with a password makes new
devices and a new cross-signing identity. Each attack below is refused, and the identity change
is reported to the person's trusted session, the moderation room and the audit log. A Chair
re-trusts after confirming with the delegation; the Secretariat cannot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from nio import RoomMessage

from bot.demo.synapse_server import LocalSynapse
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from room_policies.trust import fingerprint
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import Http, WorkingGroup, wait_for

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
AG_DESK = RoomRef(RoomKind.DESK, delegation="AG")  # type: ignore[arg-type]
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation="AG")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("trust"), ("AG", "BR"))
    await wg.create_accounts()
    await wg.make_account("operator", admin=True)
    await wg.make_account("someone")
    await wg.start()
    await wg.accept_invites()
    wg.people = {seat: await wg.matrix_user(seat) for seat in ("chair", "sec", "ag.fp")}  # type: ignore[attr-defined]
    # The platform pins identities at first sight: wait until it has seen the focal point's.
    identities = wg.bot.app.trust.identities  # type: ignore[union-attr]

    async def pinned() -> bool:
        return await identities.get(wg.id("ag.fp")) is not None

    await wait_for(pinned, 60, "the focal point's identity pinned")
    yield wg
    await wg.stop()


def person(group: WorkingGroup, seat: str) -> MatrixUser:
    return group.people[seat]  # type: ignore[attr-defined,no-any-return]


async def reply_body(reader: MatrixUser, event_id: str) -> str:
    return str(getattr(await reader.wait_reply(event_id, timeout=60), "body", ""))


async def operator(group: WorkingGroup) -> Http:
    return await group.as_http("operator")


async def minted_token(group: WorkingGroup, seat: str) -> Http:
    """What the admin login API gives the operator: a token for `seat`, with no device."""
    return await group.minted_token(seat, admin="operator")


async def experts_room_members(group: WorkingGroup) -> set[str]:
    warden = group.bot.app.warden  # type: ignore[union-attr]
    assert warden is not None
    state = await warden.room_state(group.room_id(AG_EXPERTS))
    return {
        str(e["state_key"])
        for e in state
        if e.get("type") == "m.room.member"
        and (e.get("content") or {}).get("membership") in ("invite", "join")
    }


async def test_a_minted_token_sends_a_plaintext_command_and_nobody_is_added(
    group: WorkingGroup,
) -> None:
    fp = person(group, "ag.fp")
    desk = group.room_id(AG_DESK)
    forged = await minted_token(group, "ag.fp")
    target = group.id("someone")
    status, data = await forged.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(desk)}/send/m.room.message/forged1",
        {"msgtype": "m.text", "body": f"!experts add {target}"},
    )
    assert status == 200, data
    answer = await reply_body(fp, data["event_id"])  # the trusted session reads the answer
    assert answer.startswith("Refused: this message was not end-to-end encrypted"), answer
    roster = await group.bot.app.governance.current_roster()  # type: ignore[union-attr]
    assert target not in roster.delegation("AG").experts  # type: ignore[union-attr]
    assert target not in await experts_room_members(group)
    audit = await group.bot.app.governance.audit_latest(20)  # type: ignore[union-attr]
    assert any(r.action == "!experts" and r.decision == "refused" for r in audit)


async def test_a_reset_identity_can_neither_add_experts_nor_submit_and_is_reported(
    group: WorkingGroup, tmp_path: Path
) -> None:
    chair, sec, fp = person(group, "chair"), person(group, "sec"), person(group, "ag.fp")
    desk, plenary, moderation = (group.room_id(r) for r in (AG_DESK, PLENARY, MODERATION))
    user_id = group.id("ag.fp")

    # The operator resets the focal point's password (quietly: the old sessions stay), signs in
    # as a new device and sets up a new cross-signing identity with that password.
    admin = await operator(group)
    new_password = "Operator-chosen-9a"
    status, data = await admin.call(
        "POST",
        f"/_synapse/admin/v1/reset_password/{quote(user_id)}",
        {"new_password": new_password, "logout_devices": False},
    )
    assert status == 200, data
    impostor = MatrixUser(group.synapse.url, user_id, new_password, tmp_path / "impostor")
    await impostor.login()  # a new device, cross-signed by a brand-new identity
    await impostor.wait_joined(desk, group.id("bot"))

    target = group.id("someone")
    asked = await impostor.send_text(desk, f"!experts add {target}")
    answer = await reply_body(fp, asked)
    assert answer.startswith("Refused: your cryptographic identity changed"), answer
    registry = group.bot.app.documents.registry  # type: ignore[union-attr]
    before = len(await registry.proposals())
    uploaded = await impostor.send_file(plenary, b"PK\x03\x04 not even a docx", "AG_Matriz.docx")
    refused = await reply_body(fp, uploaded)
    assert refused.startswith("Refused: your cryptographic identity changed"), refused
    assert len(await registry.proposals()) == before
    roster = await group.bot.app.governance.current_roster()  # type: ignore[union-attr]
    assert target not in roster.delegation("AG").experts  # type: ignore[union-attr]
    assert target not in await experts_room_members(group)

    # The focal point's trusted session is told in the desk; the Chair in the moderation room.
    def notice(room: str, words: str) -> object:
        def match(room_id: str, event: object) -> bool:
            return (
                room_id == room
                and isinstance(event, RoomMessage)
                and words in str(getattr(event, "body", ""))
            )

        return match

    await fp.wait_for(notice(desk, "Your cryptographic identity changed"), timeout=60)  # type: ignore[arg-type]
    new_identity = impostor.identity
    assert new_identity is not None
    printed = fingerprint(new_identity.public("master"))
    _, report = await chair.wait_for(notice(moderation, f"Identity change: {user_id}"), timeout=60)  # type: ignore[arg-type]
    assert printed in str(getattr(report, "body", ""))
    audit = await group.bot.app.governance.audit_latest(50)  # type: ignore[union-attr]
    assert any(r.action == "identity" and r.decision == "changed" for r in audit)

    # The Secretariat (the operator's own side) cannot re-trust; a wrong fingerprint is refused.
    by_sec = await reply_body(sec, await sec.send_text(moderation, f"!trust {user_id} {printed}"))
    assert by_sec.startswith("Refused: !trust is for the Chair only"), by_sec
    wrong = await reply_body(
        chair, await chair.send_text(moderation, f"!trust {user_id} AAAA-BBBB")
    )
    assert wrong.startswith("Refused: that fingerprint is not the one"), wrong
    listing = await reply_body(chair, await chair.send_text(moderation, "!trust"))
    assert user_id in listing and printed in listing

    # The Chair, having confirmed with the delegation, re-trusts: the new identity is heard.
    done = await reply_body(chair, await chair.send_text(moderation, f"!trust {user_id} {printed}"))
    assert "is trusted again" in done, done
    # From now on the bot encrypts to the sessions of the re-trusted identity (the old ones are
    # no longer signed by it, as Element would show them too).
    await impostor.wait_for(notice(desk, "re-trusted your new identity"), timeout=60)  # type: ignore[arg-type]
    status_answer = await reply_body(impostor, await impostor.send_text(desk, "!experts"))
    assert not status_answer.startswith("Refused"), status_answer
    await impostor.close()


async def test_a_new_session_the_person_verifies_themselves_needs_no_retrust(
    group: WorkingGroup, tmp_path: Path
) -> None:
    """Element's usual "verify this session": signed by the identity the person already has."""
    chair = person(group, "chair")
    user_id, password = group.accounts["chair"]
    laptop = MatrixUser(group.synapse.url, user_id, password, tmp_path / "laptop")
    await laptop.login(cross_sign=False)
    moderation = group.room_id(MODERATION)
    await laptop.wait_joined(moderation, group.id("bot"))
    unverified = await reply_body(chair, await laptop.send_text(moderation, "!delegations"))
    assert unverified.startswith("Refused: the session you sent this from"), unverified
    assert chair.identity is not None
    await laptop.cross_sign(chair.identity)  # verified with the person's own identity
    await asyncio.sleep(1)
    verified = await reply_body(chair, await laptop.send_text(moderation, "!delegations"))
    assert "Antigua and Barbuda" in verified, verified
    await laptop.close()


async def test_identities_are_pinned_at_first_sight_and_audited(group: WorkingGroup) -> None:
    audit = await group.bot.app.governance.audit_latest(200)  # type: ignore[union-attr]
    pinned = {r.target for r in audit if r.action == "identity" and r.decision == "pinned"}
    assert group.id("ag.fp") in pinned and group.id("chair") in pinned
