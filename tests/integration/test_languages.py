"""Each person in their own language, on a real Synapse with real E2EE clients (issue #11):
a focal point chooses Spanish, French, Portuguese in their desk and reads `!help` in each; the
choice is kept across a restart of the bot; `!ajuda` is answered in Portuguese; an expert
chooses their language in a direct room with the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.demo.synapse_server import LocalSynapse
from room_policies.roles import DelegationCode, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup

AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
HELP_TITLES = {
    "es": "Comandos que puede utilizar aquí:",
    "fr": "Commandes que vous pouvez utiliser ici :",
    "pt": "Comandos que pode utilizar aqui:",
    "en": "Commands you can use here:",
}
CHOSEN = {
    "es": "En adelante, la plataforma le responderá en español.",
    "fr": "Désormais, la plateforme vous répondra en français.",
    "pt": "A partir de agora, a plataforma lhe responderá em português.",
    "en": "From now on, the platform answers you in English.",
}


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("lang"), ("AG",))
    await wg.create_accounts()
    await wg.start()
    await wg.accept_invites()
    yield wg
    await wg.stop()


async def ask(user: MatrixUser, room_id: str, command: str) -> tuple[str, str]:
    """The reply's plain body and its HTML, as the person's client decrypts them."""
    reply = await user.wait_reply(await user.send_text(room_id, command), timeout=60)
    content = reply.source.get("content", {})
    return str(content.get("body", "")), str(content.get("formatted_body", ""))


async def test_a_focal_point_reads_help_in_the_language_they_choose(group: WorkingGroup) -> None:
    fp = await group.matrix_user("ag.fp")
    desk = group.room_id(AG_DESK)
    for lang in ("es", "fr", "pt", "en"):
        body, _ = await ask(fp, desk, f"!lang {lang}")
        assert body == CHOSEN[lang]
        body, html = await ask(fp, desk, "!help")
        assert body.splitlines()[0] == HELP_TITLES[lang]
        assert "!lang &lt;language&gt;" in html or "!lang <language>" in html
        assert "!experts" in body  # command names stay as they are


async def test_help_asked_as_ajuda_is_answered_in_portuguese(group: WorkingGroup) -> None:
    fp = await group.matrix_user("ag.fp")
    body, _ = await ask(fp, group.room_id(AG_DESK), "!ajuda")
    assert body.splitlines()[0] == HELP_TITLES["pt"]
    assert "verificar um arquivo de proposta" in body


async def test_the_choice_is_kept_across_a_restart(group: WorkingGroup) -> None:
    fp = await group.matrix_user("ag.fp")
    desk = group.room_id(AG_DESK)
    assert (await ask(fp, desk, "!lang fr"))[0] == CHOSEN["fr"]
    assert group.bot is not None
    await group.bot.stop()  # the bot alone: the focal point's client stays signed in
    await group.start()
    body, _ = await ask(fp, desk, "!help")
    assert body.splitlines()[0] == HELP_TITLES["fr"]


async def test_an_expert_chooses_their_language_in_a_direct_room(group: WorkingGroup) -> None:
    expert = await group.matrix_user("ag.exp1")
    bot_id = group.platform.bot_id
    room_id = await expert.create_encrypted_room([bot_id])
    await expert.wait_joined(room_id, bot_id)
    assert (await ask(expert, room_id, "!lang es"))[0] == CHOSEN["es"]
    body, _ = await ask(expert, room_id, "!help")
    assert body.splitlines()[0] == HELP_TITLES["es"]
    # The working group's language for everyone who chose none.
    chair = await group.matrix_user("chair")
    room_id = await chair.create_encrypted_room([bot_id])
    await chair.wait_joined(room_id, bot_id)
    body, _ = await ask(chair, room_id, "!help")
    assert body.splitlines()[0] == HELP_TITLES["en"]
