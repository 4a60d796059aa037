"""Each person in their language (issue #11): `!lang`, `!help` in it, and `!ayuda`, `!aide`,
`!ajuda` answered in Spanish, French and Portuguese, with command names unchanged."""

from __future__ import annotations

import dataclasses

import pytest

from commands import help, language
from commands.builtin import default_table
from commands.i18n import translator
from commands.reply import Reply
from commands.table import DESK, DIRECT, Invocation, Refused, UsageError, internal_error
from commands.trust import TrustRefusal
from room_policies.roles import Role
from room_policies.trust import Trust, TrustVerdict
from tests.unit.services import services

TABLE = default_table()
TITLES = {
    "en": "Commands you can use here:",
    "es": "Comandos que puede utilizar aquí:",
    "fr": "Commandes que vous pouvez utiliser ici :",
    "pt": "Comandos que pode utilizar aqui:",
}


def asking(body: str, language: str = "en", role: Role = Role.FOCAL_POINT) -> Invocation:
    return Invocation(
        sender="@ag.fp:example.org",
        room_id="!desk:example.org",
        event_id="$e",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=role,
        place=DESK,
        delegation="AG",
        language=language,
    )


class Chosen:
    def __init__(self) -> None:
        self.chosen: list[tuple[str, str]] = []

    async def set_language(self, user_id: str, language: str) -> None:
        self.chosen.append((user_id, language))


@pytest.mark.parametrize("lang", ["en", "es", "fr", "pt"])
async def test_help_answers_in_the_askers_language(lang: str) -> None:
    invocation = asking("!help", lang)
    reply = await TABLE.bind("!help", invocation).run(services(TABLE), invocation)
    assert reply.text.splitlines()[0] == TITLES[lang]
    # Command names stay as they are: the same usages, in the same order.
    english = await help.handle(TABLE, asking("!help"), help.Args())
    usages = [line.split(" — ")[0] for line in reply.text.splitlines()[1:]]
    assert usages == [line.split(" — ")[0] for line in english.text.splitlines()[1:]]
    if lang != "en":
        assert reply.text != english.text


@pytest.mark.parametrize(("alias", "lang"), [("ayuda", "es"), ("aide", "fr"), ("ajuda", "pt")])
async def test_help_asked_in_another_language_is_answered_in_it(alias: str, lang: str) -> None:
    invocation = asking(f"!{alias}")  # the person reads English otherwise
    bound = TABLE.bind(f"!{alias}", invocation)
    assert (bound.command.name, bound.language) == ("help", lang)
    reply = await bound.run(services(TABLE), dataclasses.replace(invocation, language=lang))
    assert reply.text.splitlines()[0] == TITLES[lang]


def test_aliases_are_not_listed_as_commands() -> None:
    assert {"ayuda", "aide", "ajuda"}.isdisjoint(c.name for c in TABLE)


def test_a_refusal_is_worded_in_the_askers_language() -> None:
    with pytest.raises(Refused) as caught:
        TABLE.bind("!audit", asking("!audit", "es"))
    assert caught.value.reply.text == (
        "Denegado: El uso de !audit está reservado a: la Presidencia y la Secretaría Técnica. "
        "Envíe !help para ver lo que puede hacer aquí."
    )
    with pytest.raises(Refused) as caught:
        TABLE.bind("!audit", dataclasses.replace(asking("!audit", "fr"), role=Role.CHAIR))
    assert caught.value.reply.text == (
        "Refusé : !audit s'utilise dans : la salle de modération ; pas ici. "
        "Envoyez !help pour voir ce que vous pouvez faire ici."
    )


def test_an_unknown_command_is_worded_in_the_askers_language() -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind("!hlep", asking("!hlep", "pt"))
    assert caught.value.reply.text == (
        "Comando desconhecido: !hlep. Quis dizer !help? Envie !help para ver a lista."
    )


@pytest.mark.parametrize(
    ("lang", "answer"),
    [
        ("en", "From now on, the platform answers you in English."),
        ("es", "En adelante, la plataforma le responderá en español."),
        ("fr", "Désormais, la plateforme vous répondra en français."),
        ("pt", "A partir de agora, a plataforma lhe responderá em português."),
    ],
)
async def test_lang_keeps_the_choice_and_answers_in_the_new_language(
    lang: str, answer: str
) -> None:
    chosen = Chosen()
    invocation = asking(f"!lang {lang}")
    reply = await TABLE.bind(f"!lang {lang}", invocation).run(
        services(TABLE, languages=chosen), invocation
    )
    assert reply == Reply.plain(answer)
    assert chosen.chosen == [("@ag.fp:example.org", lang)]


def test_lang_refuses_a_language_the_platform_does_not_speak() -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind("!lang de", asking("!lang de"))
    assert caught.value.reply.text.startswith("!lang: language: ")
    assert caught.value.reply.text.endswith("Usage: !lang <language>")


@pytest.mark.parametrize(
    ("role", "place"),
    [(Role.EXPERT, DIRECT), (Role.FOCAL_POINT, DESK), (Role.CHAIR, DIRECT)],
)
def test_anyone_on_the_roster_chooses_their_language_where_they_talk_to_the_bot(
    role: Role, place: str
) -> None:
    invocation = dataclasses.replace(asking("!lang es", role=role), place=place)
    assert TABLE.bind("!lang es", invocation).command.name == "lang"
    assert language.SUMMARY


def test_an_internal_error_is_told_in_the_askers_language() -> None:
    assert internal_error("1a2b3c", translator("fr")) == Reply.plain(
        "Erreur interne (réf. 1a2b3c). Le Secrétariat technique peut en retrouver la trace grâce "
        "à cette référence."
    )
    assert internal_error("1a2b3c").text.startswith("Internal error (ref 1a2b3c).")


def test_a_message_the_platform_cannot_attribute_is_refused_in_the_senders_language() -> None:
    verdict = TrustVerdict(Trust.UNSIGNED_DEVICE, "T3", "ABCDEFGHIJ")
    refused = TrustRefusal(verdict)
    assert refused.reason.startswith("the session you sent this from (ABCDEFGHIJ) is not verified")
    assert refused.reply(translator("es")) == Reply.plain(
        "Denegado: la sesión desde la que lo envió (ABCDEFGHIJ) no está verificada; verifíquela "
        "desde otra de sus sesiones o con su clave de seguridad (Element: Ajustes → Sesiones → "
        "Verificar sesión) y envíelo de nuevo. Una vez verificada, !get seguido del nombre de un "
        "documento le envía de nuevo ese documento, legible en esta sesión."
    )
    assert refused.reply().text == f"Refused: {refused.reason}"
