"""The document engine's refusals reach the reader in their language (issue #11): the engine gives
a typed reason (`why`) and its facts, `commands.engine_refusals` words them; the English stays
the engine's sentence, byte for byte. (Every refusal of tests/unit/test_safety.py and
test_proposals.py is checked the same way by `tests.unit.engine_words.assert_worded`.)"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from commands.compile_summary import compile_summary
from commands.document_refusals import EngineRefusal, FileRefused
from commands.documents_deps import ProposalRefused
from commands.engine_refusals import MESSAGES, engine_reason
from commands.i18n import translator
from commands.receipts import receipt
from documents.compile import Compilation, DelegationSummary, ParagraphReport
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.jobs import CheckResult, CompileResult, check_job, compile_job
from documents.limits import DEFAULT_LIMITS
from documents.package_gate import check_package
from documents.parsing_child import _outcome, parse_with_limits
from tests.unit import hostile_docx as hostile
from tests.unit.docx_builder import build, dele, ins, p
from tests.unit.engine_words import TRANSLATED, assert_worded, english_runs

ROOT = Path(__file__).resolve().parents[2]
BASE = ["The Member States shall cooperate.", "The working group shall report every year."]
# Worded apart from MESSAGES: the sentence depends on which facts there are.
SPECIAL = {Reason.NOT_THE_CURRENT_BASE, Reason.UNTRACKED_CHANGES}


def gate(data: bytes) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        check_package(data, DEFAULT_LIMITS)
    return caught.value


def test_every_refusal_of_the_engine_carries_a_typed_reason() -> None:
    untyped = []
    for path in sorted((ROOT / "documents").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "DocumentRefused"
                and not any(k.arg == "why" for k in node.keywords)
            ):
                untyped.append(f"{path.name}:{node.lineno}")
    assert not untyped


def test_every_typed_reason_has_a_sentence_in_the_catalogs() -> None:
    assert set(Reason) - SPECIAL == set(MESSAGES)


def test_an_encrypted_docx_is_refused_in_spanish_end_to_end() -> None:
    refusal = gate(hostile.encrypted_entry())
    assert refusal.code is RefusalCode.ENCRYPTED
    outcome = ProposalRefused(refusal.reason, FileRefused("AG_Matriz.docx", refusal))
    spanish = receipt(outcome, translator("es")).text
    assert spanish == (
        "Denegado: AG_Matriz.docx: Una parte del archivo está cifrada (protegida con "
        "contraseña); quite la contraseña en Word y envíe el documento de nuevo. No se ha "
        "registrado nada."
    ), spanish
    english = receipt(outcome).text
    assert english == f"Refused: AG_Matriz.docx: {refusal.reason} Nothing was filed."


def test_a_macro_enabled_file_is_refused_in_french() -> None:
    refusal = gate(hostile.macro_enabled_renamed())
    reply = FileRefused("AG_Matriz.docx", refusal).reply(translator("fr")).text
    assert reply.startswith("Refusé : AG_Matriz.docx : Le fichier contient des macros"), reply
    assert not english_runs(refusal.reason, reply)


def test_a_size_reads_in_the_readers_locale() -> None:
    refusal = gate(b"PK\x03\x04" + bytes(DEFAULT_LIMITS.max_bytes))
    assert_worded(refusal)
    assert "25 MB" in refusal.reason
    assert "25 MB" in engine_reason(refusal, translator("es"))
    assert refusal.params["size"] == DEFAULT_LIMITS.max_bytes + 4


def test_the_parsing_childs_own_refusals_are_worded() -> None:
    for kind in ("timeout", "memory", "damaged"):
        with pytest.raises(DocumentRefused) as caught:
            _outcome({"kind": kind}, check_job, DEFAULT_LIMITS)
        assert_worded(caught.value)


def proposal(author: str) -> bytes:
    return build(
        p("The Member States ", dele("shall", author=author), ins("should", author=author),
          " cooperate."),
        p("The working group shall report every ", ins("two ", author=author), "year."),
    )  # fmt: skip


def test_a_refusal_crosses_the_child_with_its_facts() -> None:
    base = build(*BASE)
    data = proposal("Antigua and Barbuda (AG)")
    wrong = parse_with_limits(check_job, "Matriz.docx", base, "BR_Matriz.docx", data, "AG")
    assert isinstance(wrong, CheckResult) and wrong.refusal is not None
    assert wrong.refusal.why is Reason.WRONG_DELEGATION
    assert wrong.refusal.params["delegation"] == "AG" and wrong.refusal.reason == wrong.refused
    assert_worded(wrong.refusal)
    with pytest.raises(DocumentRefused) as caught:
        parse_with_limits(check_package, hostile.encrypted_entry(), DEFAULT_LIMITS)
    assert caught.value.why is Reason.ENCRYPTED
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.why, copy.params, copy.reason) == (Reason.ENCRYPTED, {}, caught.value.reason)


def test_a_compilation_with_no_proposal_left_is_refused_line_by_line_in_portuguese() -> None:
    base = build(*BASE)
    proposals = [("AG_Matriz.docx", build(*BASE)), ("XX_Matriz.docx", b"not a document")]
    with pytest.raises(DocumentRefused) as caught:
        parse_with_limits(compile_job, "Matriz.docx", base, proposals)
    refusal = caught.value
    assert refusal.why is Reason.NO_PROPOSALS and len(refusal.left_out) == 2
    assert engine_reason(refusal) == refusal.reason
    lines = EngineRefusal(refusal).worded(translator("pt")).splitlines()
    assert lines[0] == "Nenhuma proposta pôde ser compilada:"
    assert lines[1].startswith("AG_Matriz.docx: “AG_Matriz.docx” não contém alterações")
    assert lines[2].startswith("XX_Matriz.docx: “XX_Matriz.docx” não começa com um código")


def test_the_proposals_left_out_of_a_compilation_keep_their_reasons() -> None:
    base = build(*BASE)
    proposals = [("AG_Matriz.docx", proposal("AG")), ("BR_Matriz.docx", build(*BASE))]
    result = parse_with_limits(compile_job, "Matriz.docx", base, proposals)
    assert isinstance(result, CompileResult)
    [(name, refusal)] = result.left_out
    assert name == "BR_Matriz.docx" and refusal.why is Reason.NO_TRACKED_CHANGES
    assert result.refused == [(name, refusal.reason)]
    for language in TRANSLATED:
        assert engine_reason(refusal, translator(language)) != refusal.reason


# -- the !compile summary -------------------------------------------------------------------------


def a_compilation(new: list[str]) -> Compilation:
    return Compilation(
        revision=b"",
        paragraphs=[
            ParagraphReport("before 1", 1, ("AG",), 0),
            ParagraphReport("2", 2, ("AG", "BR"), 1, ("AG", "BR")),
            ParagraphReport("before 1", 2, ("AG", "BR"), 1, ("AG", "BR")),
        ],
        delegations=[
            DelegationSummary("AG", "Antigua and Barbuda", 3, 2, 1),
            DelegationSummary("BR", "Brasil", 1, 1, 0),
        ],
        conflicts=2,
        new_paragraphs=new,
        revisions=4,
    )


@pytest.mark.parametrize("new", [[], ["2a", "2b"]])
def test_the_compile_summary_reads_as_the_engines_in_english_and_translated(
    new: list[str],
) -> None:
    base = build(*BASE)
    checked = check_job("Matriz.docx", base, "CO_Matriz.docx", base)
    assert checked.refusal is not None
    left_out = checked.refusal
    result = CompileResult(
        b"", b"", a_compilation(new), [("CO_Matriz.docx", left_out.reason)], b"",
        [("CO_Matriz.docx", left_out)],
    )  # fmt: skip
    compilation, pairs = result.compilation, result.left_out
    assert compile_summary(compilation, pairs) == result.summary()
    for language in TRANSLATED:
        lines = compile_summary(compilation, pairs, translator(language))
        assert len(lines) == len(result.summary())
        for line, english in zip(lines, result.summary(), strict=True):
            assert not english_runs(english, line, length=3), (language, line)
    spanish = compile_summary(compilation, pairs, translator("es"))
    assert spanish[1] == ("AG Antigua and Barbuda: 3 cambio(s) en 2 párrafo(s), 1 en conflicto"), (
        spanish
    )
