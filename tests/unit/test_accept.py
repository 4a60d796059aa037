"""Accept all changes: the clean revised text `!distribute` publishes."""

from __future__ import annotations

from documents.accept import accept_all
from documents.jobs import compile_job
from documents.package_gate import check_package
from documents.tracked_changes import read_document
from tests.unit.docx_builder import build, dele, ins, p, r

BASE = build(
    p(r("The parties shall cooperate in disaster prevention.")),
    p(r("Second paragraph here.")),
    p(r("Third one.")),
    p(r("Fourth one.")),
)


def proposal(*paragraphs: object) -> bytes:
    return build(*paragraphs)  # type: ignore[arg-type]


def test_the_clean_text_is_the_accept_view_of_the_revision() -> None:
    ag = proposal(
        p(
            r("The parties "),
            dele(r("shall"), author="AG"),
            ins(r("should"), author="AG"),
            r(" cooperate in disaster prevention."),
        ),
        p(ins(r("A new paragraph by AG."), author="AG"), ins_mark=True),
        p(r("Second paragraph here.")),
        p(dele(r("Third one."), author="AG"), del_mark=True),
        p(r("Fourth one.")),
    )
    br = proposal(
        p(
            r("The parties "),
            dele(r("shall"), author="BR"),
            ins(r("will"), author="BR"),
            r(" cooperate in disaster prevention."),
        ),
        p(r("Second paragraph "), ins(r("very much "), author="BR"), r("here.")),
        p(r("Third one.")),
        p(r("Fourth one.")),
    )
    result = compile_job("Matriz.docx", BASE, [("AG_Matriz.docx", ag), ("BR_Matriz.docx", br)])
    revision = read_document(result.revision)
    clean = read_document(result.clean)
    assert not clean.has_changes
    assert clean.accept_view() == revision.accept_view()
    assert "[shall / should (AG) / will (BR)]" in clean.accept_view()[0]
    check_package(result.clean)
    assert read_document(accept_all(result.clean)).accept_view() == clean.accept_view()
