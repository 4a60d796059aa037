"""The document commands answer in the asker's language (issue #11): the replies of the
document commands, the receipts of uploads and the document flow's refusals, in Spanish, French
and Portuguese; file names, codes, dates and sha256 stay as they are, and English is unchanged
(tests/unit/test_document_commands.py)."""

from __future__ import annotations

import dataclasses

import pytest

from commands import agree, check, documents, publish, receipts, status, suggestions
from commands.document_refusals import (
    CompiledOnAnotherVersion,
    FileTooLarge,
    InFile,
    NoSuchSuggestion,
    OnlyFocalPoints,
    StatusNotAllowed,
    SuggestionDecided,
    reason_of,
)
from commands.documents_deps import FolderUpload, ProposalRefused, UploadOutcome
from commands.i18n import translator
from commands.table import MODERATION, PLENARY, Invocation, Refusal
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from tests.unit.test_document_commands import PROPOSAL, PUBLISHED, FakeDocuments, asked


def asking(language: str, place: str = MODERATION, delegation: str | None = None) -> Invocation:
    return dataclasses.replace(asked(place, delegation), language=language)


@pytest.mark.parametrize(
    ("language", "title", "wrong"),
    [
        (
            "es",
            "Matriz.docx se ha publicado en «Plan» y se ha anunciado en el plenario.",
            "No existe la carpeta «attic». Las carpetas son: reference, supporting, plan.",
        ),
        (
            "fr",
            "Matriz.docx a été publié dans « Plan » et annoncé en plénière.",
            "Il n'existe pas de dossier « attic ». Les dossiers sont : reference, supporting, "
            "plan.",
        ),
        (
            "pt",
            "Matriz.docx foi publicado em “Plan” e anunciado no plenário.",
            "Não existe a pasta “attic”. As pastas são: reference, supporting, plan.",
        ),
    ],
)
async def test_publish_answers_in_the_askers_language(
    language: str, title: str, wrong: str
) -> None:
    args = publish.Args(folder="plan", title="Matriz", symbol="OEA/1")
    reply = await publish.handle(FakeDocuments(), asking(language), args)
    lines = reply.text.splitlines()
    assert lines[0] == title
    assert lines[-1] == "• sha256: " + "f" * 64  # data as it is
    nowhere = await publish.handle(FakeDocuments(), asking(language), publish.Args(folder="attic"))
    assert nowhere.text == wrong


async def test_listings_and_statuses_are_translated() -> None:
    listed = await documents.handle(FakeDocuments(), asking("fr"), documents.Args())
    assert listed.text.splitlines()[0] == "Documents publiés (versions en vigueur) :"
    # In the working group's time zone: 05:06 UTC is 00:06 in Washington, D.C. in March.
    in_washington = dataclasses.replace(asking("es", PLENARY, "AG"), timezone="America/New_York")
    mine = await status.handle(FakeDocuments(), in_washington, status.Args())
    assert mine.text.splitlines() == [
        "Propuestas de su delegación, de la más antigua a la más reciente:",
        "• AG_Matriz.docx sobre Matriz.docx v1, 4 mar 2026, 0:06: 2 cambio(s), párrafos 1, 3 "
        "— vigente (sha256 aaaaaaaaaaaa…)",
    ]
    refs = await suggestions.references(FakeDocuments(), asking("pt"), suggestions.ReferencesArgs())
    assert refs.text.splitlines() == [
        "Documentos de referência sugeridos:",
        "• #4 AG: Study.docx, 4 de mar. de 2026 — pendente",
        "• #5 BR: Other.docx, 4 de mar. de 2026 — recusada (late)",
    ]


async def test_agree_and_its_refusal_in_spanish_and_french() -> None:
    deps = FakeDocuments()
    args = agree.ApproveArgs(document="Matriz", paragraphs="2", meeting="2026-12-12")
    approved = await agree.approve(deps, asking("es"), args)
    assert approved.text == (
        "Matriz.docx: párrafo(s) 2 aprobado(s) en la reunión del 2026-12-12. La próxima matriz "
        "de compilación lo reflejará."
    )
    bad = await agree.agree(deps, asking("fr"), agree.AgreeArgs(document="M", paragraphs="3-1"))
    assert bad.text == "Refusé : « 3-1 » n'est pas un intervalle valide."


async def test_check_words_the_typed_refusal_in_the_askers_language() -> None:
    refusal = InFile("AG_Matriz.docx", OnlyFocalPoints("submits proposals"))
    refused = await check.handle(FakeDocuments(refusal=refusal), asking("pt"), check.Args())
    assert refused.text == (
        "Seria recusada: AG_Matriz.docx: apenas o ponto focal de uma delegação pode apresentar "
        "propostas."
    )
    # The record keeps English: the refusal's `reason` is what the audit log holds.
    assert refusal.reason == "AG_Matriz.docx: only a delegation's focal point submits proposals."


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (
            PROPOSAL,
            "Comprovante de recebimento: AG_Matriz.docx, a proposta de AG sobre Matriz.docx "
            "(versão 1), foi registrada.",
        ),
        (
            ProposalRefused("AG_Matriz.docx: contains no tracked changes."),
            "Recusado: AG_Matriz.docx: contains no tracked changes. Nada foi registrado.",
        ),
        (
            FolderUpload(PUBLISHED),
            "Matriz.docx foi registrado como versão 2 (public) e anunciado no plenário.",
        ),
    ],
)
async def test_an_upload_is_answered_in_the_uploaders_language(
    outcome: UploadOutcome, text: str
) -> None:
    @dataclasses.dataclass
    class Uploaded:
        async def upload(self, invocation: Invocation) -> UploadOutcome | None:
            return outcome

    reply = await receipts.answer_upload(Uploaded(), asking("pt", PLENARY))
    assert reply is not None and reply.text.splitlines()[0] == text


@pytest.mark.parametrize(
    ("refusal", "es", "fr"),
    [
        (
            FileTooLarge(200_000, 250_000),
            "el archivo ocupa 250 kB; el límite es de 200 kB.",
            "le fichier fait 250 kB ; la limite est de 200 kB.",
        ),
        (
            NoSuchSuggestion(7),
            "no existe la sugerencia n.º 7; consulte !references.",
            "il n'existe pas de suggestion n° 7 ; consultez !references.",
        ),
        (
            SuggestionDecided(1, SuggestionStatus.ACCEPTED),
            "la sugerencia n.º 1 ya había sido aceptada.",
            "la suggestion n° 1 avait déjà été acceptée.",
        ),
        (
            StatusNotAllowed([2, 4], ParagraphStatus.APPROVED),
            "el/los párrafo(s) 2, 4 no puede(n) pasar a la situación «aprobado(s)».",
            "le(s) paragraphe(s) 2, 4 ne peu(ven)t pas passer au statut « approuvé(s) ».",
        ),
        (
            CompiledOnAnotherVersion("Matriz.docx", 1, 2),
            "la última compilación se hizo sobre la versión 1 de Matriz.docx, que ahora está en la "
            "versión 2: vuelva a ejecutar !compile.",
            "la dernière compilation a été faite sur la version 1 de Matriz.docx, qui en est "
            "maintenant à la version 2 : relancez !compile.",
        ),
    ],
)
def test_the_refusals_word_themselves_in_each_language(refusal: Refusal, es: str, fr: str) -> None:
    assert reason_of(refusal, translator("es")) == es
    assert reason_of(refusal, translator("fr")) == fr
    assert reason_of(refusal, translator("en")) == refusal.reason


def test_a_plain_refusal_keeps_its_reason() -> None:
    assert reason_of(Refusal("as raised."), translator("es")) == "as raised."
