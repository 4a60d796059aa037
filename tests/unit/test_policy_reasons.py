"""The rules' refusals and the roster's reasons reach a reader in their language (issue #11):
`room_policies` gives a code and its facts, `commands/policy_reasons.py` and
`commands/roster_reasons.py` word them; the English stays the rules' sentence, byte for byte
(the audit log and the CLI keep it); breach reports are wholly in each working language; a
removal's reason is in the working languages."""

from __future__ import annotations

import ast
import dataclasses
import functools
from pathlib import Path

import pytest

from commands import corrections
from commands.corrections import breach_notice, breach_report
from commands.i18n import translator
from commands.multilingual import SEPARATOR, in_languages
from commands.policy_reasons import MESSAGES, decision_reason, in_languages_line
from commands.roster_reasons import MESSAGES as ROSTER_MESSAGES
from commands.roster_reasons import problem_reason
from room_policies.breaches import Act
from room_policies.membership import may_join
from room_policies.reasons import Problem, Why
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef, room_name
from tests.unit.engine_words import TRANSLATED, english_runs
from tests.unit.policy_words import breaches, refusals, roster_problems
from tests.unit.test_breaches import PLATFORM, ROSTER, STRANGER
from tests.unit.test_governance_commands import FakeDeps, in_desk, in_moderation, make_roster, run

ROOT = Path(__file__).resolve().parents[2]


def _without_facts(text: str, facts: dict[str, str]) -> str:
    """The text with its facts (user ids, codes, country and room names) taken out."""
    for fact in sorted(facts.values(), key=len, reverse=True):
        text = text.replace(fact, "…") if fact else text
    return text


def assert_translated(english: str, worded: dict[str, str], facts: dict[str, str]) -> None:
    for language, text in worded.items():
        assert text != english, (language, text)
        left = english_runs(_without_facts(english, facts), _without_facts(text, facts))
        assert not left, (language, text, left)


def test_every_refusal_of_conduct_membership_and_breaches_carries_a_code() -> None:
    untyped = []
    for name in ("conduct", "membership", "breaches"):
        path = ROOT / "room_policies" / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Decision"
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value is False
                and len(node.args) < 4
                and not any(k.arg == "why" for k in node.keywords)
            ):
                untyped.append(f"{name}.py:{node.lineno}")
    assert not untyped


def test_every_code_has_its_sentence() -> None:
    assert set(MESSAGES) == set(Why)
    assert set(ROSTER_MESSAGES) == set(Problem)
    assert set(corrections._ACTS) == set(Act)


def test_every_refusal_is_the_rules_sentence_in_english_and_translated() -> None:
    found = refusals()
    assert {d.why for d in found} == set(Why) - {Why.GOVERNOR_STATE}
    for decision in found:
        assert decision.why is not None, decision.reason
        assert decision_reason(decision) == decision.reason
        facts = decision.params
        worded = {lang: decision_reason(decision, translator(lang)) for lang in TRANSLATED}
        assert_translated(decision.reason, worded, facts)


WHOLE = {
    "es": (
        f"{STRANGER} (no figura en la lista de participantes del grupo de trabajo) no puede estar "
        "en el plenario: en las salas del grupo de trabajo solo están las personas de su lista de "
        "participantes y la plataforma."
    ),
    "fr": (
        f"{STRANGER} (ne figure pas sur la liste des participants du groupe de travail) ne peut "
        "pas être dans la plénière : seules les personnes inscrites sur la liste des participants "
        "du groupe de travail et la plateforme sont dans ses salles."
    ),
    "pt": (
        f"{STRANGER} (não consta da lista de participantes do grupo de trabalho) não pode estar "
        "nesta sala (o plenário): somente as pessoas da lista de participantes do grupo de "
        "trabalho e a plataforma estão em suas salas."
    ),
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_refusal_reads_whole_in_each_language(language: str) -> None:
    outsider = may_join(ROSTER, PLATFORM, STRANGER, RoomRef(RoomKind.PLENARY))
    assert decision_reason(outsider, translator(language)) == WHOLE[language]


def test_a_sentence_that_begins_with_the_room_begins_with_a_capital() -> None:
    knock = next(d for d in refusals() if d.why is Why.KNOCK and d.params["room"] == "plenary")
    assert decision_reason(knock).startswith("The plenary is invite-only")
    assert decision_reason(knock, translator("es")).startswith("El plenario solo admite")
    assert decision_reason(knock, translator("fr")).startswith("La plénière n'est accessible")
    assert decision_reason(knock, translator("pt")).startswith("O plenário só admite")


def test_every_breach_report_is_english_as_before_and_wholly_translated() -> None:
    found = breaches()
    assert {b.act for b in found} == set(Act)
    assert any(b.decision.why is Why.GOVERNOR_STATE for b in found)
    for breach in found:
        ref = RoomRef(RoomKind.PLENARY)
        english = breach_report(ROSTER, ref, breach, [], "")
        before = "⚠ In {room}, {sender} {action}. {reason} ({rule}). {outcome}".format(
            room=room_name(ROSTER, ref),
            sender=breach.sender,
            action=breach.action,
            reason=breach.decision.reason,
            rule=breach.decision.rule,
            outcome="Undone: nothing left to change."
            if breach.undoable
            else "This cannot be undone.",
        )
        assert english == before
        facts = {**breach.decision.params, "target": breach.target, "sender": breach.sender}
        facts["room_name"] = room_name(ROSTER, ref)
        worded = {
            lang: breach_report(ROSTER, ref, breach, [], "", translator(lang))
            for lang in TRANSLATED
        }
        assert_translated(english, worded, facts)


def test_a_breach_report_has_one_whole_block_per_working_language() -> None:
    breach = next(b for b in breaches() if b.decision.why is Why.REMOVE_FROM_PLENARY)
    notice = functools.partial(breach_notice, ROSTER, RoomRef(RoomKind.PLENARY), breach, [], "")
    english, spanish, french, portuguese = in_languages(
        notice, ["en", "es", "fr", "pt"]
    ).text.split(SEPARATOR)
    assert english.startswith("⚠ In Plenary, @chair:example.org removed @ag.fp:example.org.")
    assert "Only the platform removes people from the plenary" in english
    assert spanish.startswith("⚠ En Plenary, @chair:example.org retiró a @ag.fp:example.org.")
    assert "Solo la plataforma retira a personas del plenario" in spanish
    assert spanish.endswith("Deshecho: no queda nada por cambiar.")
    assert french.startswith("⚠ Dans Plenary, @chair:example.org a retiré @ag.fp:example.org.")
    assert "Seule la plateforme retire des personnes de la plénière" in french
    assert portuguese.startswith("⚠ Em Plenary, @chair:example.org removeu @ag.fp:example.org.")
    assert "Somente a plataforma remove pessoas do plenário" in portuguese


def test_a_removals_reason_is_in_the_working_languages() -> None:
    why = may_join(ROSTER, PLATFORM, STRANGER, RoomRef(RoomKind.PLENARY))
    assert in_languages_line(why, ["en"]) == why.reason
    both = in_languages_line(why, ["en", "es"])
    assert both.startswith(why.reason + " / ")
    assert both.endswith("su lista de participantes y la plataforma.")


def test_every_roster_reason_is_the_rosters_sentence_in_english_and_translated() -> None:
    found = roster_problems()
    assert {p.why for p in found} == set(Problem)
    for problem in found:
        assert problem.why is not None
        assert problem_reason(problem) == problem.reason
        facts = dict(problem.params)
        worded = {lang: problem_reason(problem, translator(lang)) for lang in TRANSLATED}
        assert_translated(problem.reason, worded, facts)


TITLE = {"es": "Denegado:", "fr": "Refusé :", "pt": "Recusado:"}
REFUSED = {
    "es": "el código de delegación 'XX' no es un código de país ISO 3166-1 alfa-2",
    "fr": "le code de délégation 'XX' n'est pas un code de pays ISO 3166-1 alpha-2",
    "pt": "o código de delegação 'XX' não é um código de país ISO 3166-1 alfa-2",
}
TWO_DELEGATIONS = {
    "es": "@ag.exp:example.org figura en dos delegaciones (AG, BR); una persona pertenece como "
    "máximo a una",
    "fr": "@ag.exp:example.org figure dans deux délégations (AG, BR) ; une personne appartient au "
    "plus à une délégation",
    "pt": "@ag.exp:example.org consta em duas delegações (AG, BR); uma pessoa pertence no máximo "
    "a uma",
}
TWO_ROLES = {
    "es": "@chair:example.org ocupa dos funciones (Presidencia, punto focal de BR); cada persona "
    "ocupa una sola función",
    "fr": "@chair:example.org occupe deux rôles (Présidence, point focal de BR) ; une personne "
    "n'occupe qu'un rôle",
    "pt": "@chair:example.org ocupa duas funções (Presidência, ponto focal de BR); cada pessoa "
    "ocupa uma única função",
}


@pytest.mark.parametrize("language", TRANSLATED)
async def test_the_roster_commands_refuse_in_the_askers_language(language: str) -> None:
    deps = FakeDeps(make_roster())
    ask = functools.partial(dataclasses.replace, language=language)
    refused = await run(deps, ask(in_moderation("!delegation add XX @xx.fp:example.org")))
    assert refused.text.startswith(TITLE[language])
    assert REFUSED[language] in refused.text
    handed = await run(deps, ask(in_moderation("!focal-point BR @chair:example.org")))
    assert TWO_ROLES[language] in handed.text
    expert = await run(
        deps,
        ask(in_desk("!experts add @ag.exp:example.org", code="BR", sender="@br.fp:example.org")),
    )
    assert TWO_DELEGATIONS[language] in expert.text
    assert deps.changed == []
