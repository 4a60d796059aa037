"""The roster and governance replies in the asker's language (issue #11): `!delegations`,
`!delegation`, `!focal-point`, `!experts`, `!reconcile`, `!audit`, `!ping` answer in Spanish,
French and Portuguese; command names, user ids, codes and the rooms' own names stay as they are."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from commands import experts
from commands.corrections import describe_correction
from commands.i18n import translator
from commands.reply import Reply
from commands.roster_deps import RosterChanged, accounts_notice, changed_lines
from commands.table import DIRECT
from room_policies.roles import Role, RoomKind, UserId
from room_policies.room_plan import Correction, Fix
from room_policies.rooms import RoomRef
from tests.unit.test_governance_commands import (
    AG_EXP,
    AG_FP,
    BR_FP,
    CHAIR,
    NEWCOMER,
    SEC,
    Entry,
    FakeDeps,
    in_desk,
    in_moderation,
    make_roster,
    run,
)


@pytest.fixture
def deps() -> FakeDeps:
    return FakeDeps(make_roster())


DELEGATIONS = {
    "en": "2 delegation(s) of WG:",
    "es": "2 delegación(es) de WG:",
    "fr": "2 délégation(s) de WG :",
    "pt": "2 delegação(ões) de WG:",
}
BRAZIL = {
    "en": f"BR Brazil: focal point {BR_FP}; no experts",
    "es": f"BR Brazil: punto focal {BR_FP}; sin expertos",
    "fr": f"BR Brazil : point focal {BR_FP} ; aucun expert",
    "pt": f"BR Brazil: ponto focal {BR_FP}; sem especialistas",
}


@pytest.mark.parametrize("lang", ["en", "es", "fr", "pt"])
async def test_delegations_are_listed_in_the_askers_language(deps: FakeDeps, lang: str) -> None:
    invocation = dataclasses.replace(in_moderation("!delegations"), language=lang)
    reply = await run(deps, invocation)
    lines = reply.text.splitlines()
    assert lines[0] == DELEGATIONS[lang]
    assert lines[2] == f"• {BRAZIL[lang]}"


ADDED = {
    "es": "Delegación CA (Canada) agregada con el punto focal @ca.fp:example.org "
    "(versión 2 de la lista de participantes).",
    "fr": "Délégation CA (Canada) ajoutée avec le point focal @ca.fp:example.org "
    "(version 2 de la liste des participants).",
    "pt": "Delegação CA (Canada) adicionada com o ponto focal @ca.fp:example.org "
    "(versão 2 da lista de participantes).",
}
SET = {"es": "Moderation: establecer", "fr": "Moderation : définir", "pt": "Moderation: definir"}


@pytest.mark.parametrize("lang", ["es", "fr", "pt"])
async def test_a_delegation_added_is_told_in_the_askers_language(deps: FakeDeps, lang: str) -> None:
    invocation = dataclasses.replace(
        in_moderation("!delegation add ca @ca.fp:example.org"), language=lang
    )
    reply = await run(deps, invocation)
    # The room keeps its platform name ("Moderation"); the sentence around it is translated.
    assert reply == Reply.titled(ADDED[lang], [f"{SET[lang]} delegation add CA"])


async def test_refusals_of_the_roster_commands_are_translated(deps: FakeDeps) -> None:
    absent = dataclasses.replace(in_moderation("!delegation remove ZZ"), language="fr")
    assert (await run(deps, absent)).text == (
        "Refusé : aucune délégation ZZ ne figure sur la liste des participants."
    )
    again = dataclasses.replace(in_moderation(f"!focal-point AG {AG_FP}"), language="es")
    assert (await run(deps, again)).text == (
        f"{AG_FP} ya es el punto focal de Antigua and Barbuda."
    )
    twice = dataclasses.replace(in_moderation(f"!delegation add AG {AG_FP}"), language="pt")
    assert (await run(deps, twice)).text == (
        "Recusado: AG já consta na lista de participantes; consulte !delegations."
    )
    assert deps.changed == []


async def test_a_focal_point_reads_their_experts_in_their_language(deps: FakeDeps) -> None:
    listing = dataclasses.replace(in_desk("!experts"), language="pt")
    assert await run(deps, listing) == Reply.titled(
        "Os especialistas de Antigua and Barbuda:", [AG_EXP]
    )
    added = dataclasses.replace(in_desk(f"!experts add {NEWCOMER}"), language="es")
    reply = await run(deps, added)
    assert reply.text.splitlines()[0] == (
        f"{NEWCOMER} figura ahora entre los expertos de Antigua and Barbuda."
    )
    removed = dataclasses.replace(in_desk(f"!experts remove {NEWCOMER}"), language="fr")
    reply = await run(deps, removed)
    assert reply.text.splitlines()[0] == (
        f"{NEWCOMER} ne figure plus parmi les experts de Antigua and Barbuda."
    )


async def test_reconcile_and_audit_answer_in_the_askers_language(deps: FakeDeps) -> None:
    assert (
        await run(deps, dataclasses.replace(in_moderation("!reconcile"), language="fr"))
    ).text == (
        "Toutes les salles sont conformes à la liste des participants ; "
        "aucune modification n'est nécessaire."
    )
    deps.reconcile_answer = [Correction(RoomRef(RoomKind.PLENARY), Fix.INVITE, AG_FP)]
    reply = await run(
        deps, dataclasses.replace(in_moderation("!reconcile --dry-run"), language="pt")
    )
    assert reply == Reply.titled(
        "Seria(m) efetuada(s) 1 alteração(ões):", [f"Plenary: convidar {AG_FP}"]
    )
    deps.entries = [
        Entry(datetime(2026, 3, 2, 9, 5, tzinfo=UTC), CHAIR, "invite", "Plenary", AG_FP, "ok", "")
    ]
    reply = await run(
        deps, dataclasses.replace(in_moderation("!audit 1", SEC, Role.SECRETARIAT), language="es")
    )
    assert reply == Reply.titled(
        "Las 1 entradas más recientes del registro de auditoría, de la más reciente a la más "
        "antigua:",
        [f"2 mar 2026, 9:05 {CHAIR}: invite {AG_FP} en Plenary → ok"],
    )


def test_a_failed_correction_and_the_accounts_step_are_translated() -> None:
    roster = make_roster()
    _ = translator("es")
    failed = Correction(RoomRef(RoomKind.PLENARY), Fix.REMOVE, AG_EXP, failed="M_FORBIDDEN")
    assert describe_correction(failed, roster, _) == (
        f"Plenary: retirar a {AG_EXP} (NO SE PUDO REALIZAR: M_FORBIDDEN)"
    )
    changed = RosterChanged(3, roster, (), {str(NEWCOMER): "Antigua and Barbuda (expert)"})
    assert changed_lines(changed, translator("fr")) == [
        "aucune modification n'a été nécessaire dans les salles",
        f"le nom d'affichage de {NEWCOMER} deviendra « Antigua and Barbuda (expert) »",
        "Le bot ne crée pas de comptes et ne définit pas les noms d'affichage : le Secrétariat "
        "technique exécute `plenaria accounts create` sur le serveur, ce qui crée tout compte "
        "manquant et définit les noms ci-dessus.",
    ]
    notice = accounts_notice(changed, BR_FP, translator("pt"))
    assert notice.text.splitlines()[0] == (
        f"{BR_FP} alterou a lista de participantes (versão 3): há contas e nomes de exibição a "
        "atualizar."
    )
    # Without a language (the room notices the shell sends), the English stays as it was.
    assert accounts_notice(changed, BR_FP).text.splitlines()[0] == (
        f"{BR_FP} changed the roster (version 3): accounts and display names to update."
    )


def test_an_expert_removed_by_hand_is_told_in_the_focal_points_language() -> None:
    expert = UserId(AG_EXP)
    assert experts.removed_by_hand(expert, 4, translator("fr")).text == (
        f"Vous avez retiré {expert} de la salle des experts ; cette personne ne fait donc plus "
        "partie des experts de votre délégation (version 4 de la liste des participants). Pour "
        f"la réintégrer : !experts add {expert}"
    )
    assert experts.removed_by_hand(expert, 4).text.startswith(f"You removed {expert} from")


@pytest.mark.parametrize(
    ("lang", "answer"), [("en", "pong (7 ms)"), ("es", "pong (7 ms)"), ("pt", "pong (7 ms)")]
)
async def test_ping_in_every_language(deps: FakeDeps, lang: str, answer: str) -> None:
    invocation = dataclasses.replace(
        in_moderation("!ping"), language=lang, sent_ms=3, now_ms=10, place=DIRECT
    )
    assert (await run(deps, invocation)).text == answer
