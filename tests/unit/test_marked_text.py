"""A proposal read in the chat (issue #14): the words around each change in a receipt, every
change with `!show`, each conflict's alternatives in the compile summary — in both renderings
(`{+…+}` / `[-…-]` in the body, `<u>` / `<del>` in HTML), escaped, cut where they must be."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.sync.dispatch import Dispatcher
from commands import receipts
from commands.builtin import default_table
from commands.compile_summary import CONFLICTS_SHOWN, conflict_lines
from commands.document_refusals import NoStandingProposal, NotAParagraphOf
from commands.documents_deps import ProposalInfo, ShownProposal
from commands.i18n import translator
from commands.marked_text import (
    MESSAGE_CHARACTERS,
    RECEIPT_PARAGRAPHS,
    Text,
    changed_paragraphs,
    escaped,
    filled,
    marked,
    parts,
)
from commands.reply import Reply
from commands.table import DESK, DIRECT, MODERATION, PLENARY, Invocation, Refusal, UsageError
from documents.compile import Compilation
from documents.excerpts import CONTEXT_WORDS, ConflictView, MarkedParagraph, brief
from documents.jobs import CheckResult, CompileResult, check_job, compile_job
from documents.paragraph_history import show_job
from room_policies.roles import Role
from tests.unit.docx_builder import build, dele, ins, p, r
from tests.unit.services import services

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LONG = (
    "The parties shall cooperate in disaster prevention, preparedness and response, and in "
    "the recovery of the communities that every kind of natural event affects."
)
BASE = build(p(r(LONG)), p(r("Each State shall designate a focal point.")), p(r("Final clause.")))
AG = build(
    p(
        r("The parties "),
        dele(r("shall"), author="AG"),
        ins(r("should <script>alert(1)</script>"), author="AG"),
        r(LONG.removeprefix("The parties shall")),
    ),
    p(r("Each State shall designate a focal point.")),
    p(r("Final clause.")),
)
BR = build(
    p(
        r("The parties "),
        dele(r("shall"), author="BR"),
        ins(r("will"), author="BR"),
        r(LONG.removeprefix("The parties shall")),
    ),
    p(r("Each State shall designate a "), ins(r("national "), author="BR"), r("focal point.")),
    p(r("Final clause.")),
)


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# -- the rendering -----------------------------------------------------------------------------


def test_marked_text_in_both_renderings_is_escaped() -> None:
    pieces = [("a < b ", "same"), ("<script>x</script>", "inserted"), ("&amp;", "deleted")]
    plain, html = marked(pieces)
    assert plain == "a < b {+<script>x</script>+}[-&amp;-]"
    assert html == "a &lt; b <u>&lt;script&gt;x&lt;/script&gt;</u><del>&amp;amp;</del>"


def test_a_sentence_holds_marked_text_as_markup_and_the_rest_escaped() -> None:
    line = filled("{who} <b>: {change}", who="A&B", change=marked([("x", "inserted")]))
    assert line == ("A&B <b>: {+x+}", "A&amp;B &lt;b&gt;: <u>x</u>")
    assert escaped("<i>") == ("<i>", "&lt;i&gt;")


def test_only_a_few_words_around_each_change_are_kept() -> None:
    before = " ".join(f"b{k}" for k in range(30)) + " "
    between = " " + " ".join(f"m{k}" for k in range(30)) + " "
    after = " " + " ".join(f"a{k}" for k in range(30))
    pieces = brief(
        [(before, "same"), ("x", "inserted"), (between, "same"), ("y", "deleted"), (after, "same")]
    )
    assert pieces[0][0] == "…b25 b26 b27 b28 b29 "
    assert words(pieces[0][0]) == CONTEXT_WORDS
    assert pieces[2][0] == " m0 m1 m2 m3 m4…m25 m26 m27 m28 m29 "
    assert pieces[4][0] == " a0 a1 a2 a3 a4…"
    short = [("one two three ", "same"), ("x", "inserted"), (" four.", "same")]
    assert brief(short) == short  # nothing to leave out


def test_a_change_too_long_for_a_message_is_cut_into_parts() -> None:
    cut = parts([("a" * 25, "same"), ("b" * 10, "inserted")], 10)
    assert [len(t) for part in cut for t, _ in part] == [10, 10, 5, 5, 5]
    assert all(sum(len(t) for t, _ in part) <= 10 for part in cut)
    assert "".join(t for part in cut for t, _ in part) == "a" * 25 + "b" * 10


def test_a_long_reply_is_split_into_several_messages() -> None:
    out = Text()
    out.heading("Title")
    out.items([escaped(f"line {k} " + "x" * 1000) for k in range(40)])
    reply = out.reply()
    messages = [reply, *reply.more]
    assert len(messages) > 2
    assert all(len(m.text) + len(m.html) <= MESSAGE_CHARACTERS + 2100 for m in messages)
    assert "\n".join(m.text for m in messages).count("• line ") == 40
    assert all(m.html.startswith("<ul><li>line") for m in reply.more)


async def test_the_dispatcher_sends_each_message_with_a_transaction_id_of_its_own() -> None:
    sent: list[tuple[str, str]] = []

    class Gateway:
        async def send_notice(self, room_id: str, reply: Reply, **kwargs: Any) -> str:
            sent.append((reply.text, kwargs["txn_id"]))
            return "$x"

    dispatcher = Dispatcher(
        gateway=Gateway(),  # type: ignore[arg-type]
        db=None,  # type: ignore[arg-type]
        table=default_table(),
        services=services(),
        metrics=None,  # type: ignore[arg-type]
        undecrypted=None,  # type: ignore[arg-type]
    )
    command = SimpleNamespace(room_id="!r:x", event_id="$cmd", thread_root=None)
    reply = Reply("one", "one", (Reply("two", "two"), Reply("three", "three")))
    await dispatcher._send_reply(command, reply)  # type: ignore[arg-type]
    again: list[tuple[str, str]] = list(sent)
    sent.clear()
    await dispatcher._send_reply(command, reply)  # type: ignore[arg-type]
    assert [text for text, _ in again] == ["one", "two", "three"]
    assert len({txn for _, txn in again}) == 3 and sent == again  # the same ids when redone


# -- receipts ----------------------------------------------------------------------------------


def proposal(marked: tuple[MarkedParagraph, ...]) -> ProposalInfo:
    return ProposalInfo(
        "AG", "AG_Matriz.docx", "Matriz.docx", 1, 2, [1], "a" * 64, WHEN, False, marked
    )


def test_the_engine_marks_each_paragraph_a_proposal_changes() -> None:
    result = check_job("Matriz.docx", BASE, "AG_Matriz.docx", AG, "AG")
    assert result.report is not None
    (first,) = result.report.marked
    assert first.paragraph == "1"
    assert first.pieces[:3] == (
        ("The parties ", "same"),
        ("shall", "deleted"),
        ("should <script>alert(1)</script>", "inserted"),
    )
    assert first.pieces[3][0].endswith("…") and words(first.pieces[3][0]) == CONTEXT_WORDS
    assert CheckResult.from_json(result.to_json()) == result


def test_a_receipt_shows_the_words_around_each_change_escaped() -> None:
    result = check_job("Matriz.docx", BASE, "AG_Matriz.docx", AG, "AG")
    assert result.report is not None
    reply = receipts.receipt(proposal(result.report.marked))
    line = "• paragraph 1: The parties [-shall-]{+should <script>alert(1)</script>+} cooperate"
    assert line in reply.text
    assert (
        "<li>paragraph 1: The parties <del>shall</del>"
        "<u>should &lt;script&gt;alert(1)&lt;/script&gt;</u> cooperate" in reply.html
    )
    assert "<script>" not in reply.html
    assert "!show" not in reply.text  # nothing was left out


def test_a_long_proposal_is_cut_after_a_screenful_with_the_command_that_shows_it_all() -> None:
    pieces = (("The Parties ", "same"), ("shall", "deleted"), ("should", "inserted"))
    many = tuple(MarkedParagraph(str(n), pieces) for n in range(1, 12))
    reply = receipts.receipt(proposal(many))
    assert reply.text.count("• paragraph ") == RECEIPT_PARAGRAPHS
    assert "• paragraph 8: " in reply.text and "paragraph 9: " not in reply.text
    assert reply.text.endswith(
        "• and 3 more paragraph(s): !show AG Matriz.docx shows every change."
    )
    # Or after so many characters: two long excerpts, and the third is left for !show.
    long = tuple(MarkedParagraph(str(n), (("x" * 390, "inserted"),)) for n in range(1, 8))
    cut = receipts.receipt(proposal(long))
    assert 3 <= cut.text.count("• paragraph ") < 7 and "more paragraph(s): !show" in cut.text
    spanish = receipts.receipt(proposal(many), translator("es"))
    assert "• párrafo 1: The Parties [-shall-]{+should+}" in spanish.text
    assert "y 3 párrafo(s) más: !show AG Matriz.docx muestra todos los cambios." in spanish.text


# -- !show -------------------------------------------------------------------------------------


def test_the_engine_shows_every_change_whole_or_those_of_one_paragraph() -> None:
    long = "very " * 200
    proposal = build(
        p(r(LONG)),
        p(r("Each State shall designate a "), ins(r(long), author="BR"), r("focal point.")),
        p(dele(r("Final"), author="BR"), r(" clause.")),
    )
    every = show_job("Matriz.docx", BASE, "BR_Matriz.docx", proposal)
    assert every["found"] is True
    shown = [MarkedParagraph.from_json(c) for c in every["paragraphs"]]
    assert [c.paragraph for c in shown] == ["2", "3"]
    assert (long, "inserted") in shown[0].pieces  # nothing cut
    one = show_job("Matriz.docx", BASE, "BR_Matriz.docx", proposal, "3")
    assert [c["paragraph"] for c in one["paragraphs"]] == ["3"]
    assert show_job("Matriz.docx", BASE, "BR_Matriz.docx", proposal, "1") == {
        "found": True,
        "paragraphs": [],
    }
    assert show_job("Matriz.docx", BASE, "BR_Matriz.docx", proposal, "99")["found"] is False


@dataclass
class Shown:
    changes: list[MarkedParagraph]
    asked: list[tuple[str, str, int | None]] = field(default_factory=list)

    async def show(self, delegation: str, document: str, paragraph: int | None) -> ShownProposal:
        self.asked.append((delegation, document, paragraph))
        if delegation != "AG":
            raise NoStandingProposal(delegation, "Matriz.docx")
        if paragraph == 99:
            raise NotAParagraphOf("Matriz.docx", 2, 99)
        label = None if paragraph is None else str(paragraph)
        return ShownProposal("AG", "AG_Matriz.docx", "Matriz.docx", 2, label, self.changes)


def asked(body: str, role: Role = Role.CHAIR, place: str = MODERATION) -> Invocation:
    return Invocation("@c:x", "!room:x", "$command", body, 0, 0, role, place, None)


async def run(deps: Shown, body: str, role: Role = Role.CHAIR, place: str = MODERATION) -> Reply:
    invocation = asked(body, role, place)
    bound = default_table().bind(body, invocation)
    try:
        return await bound.run(services(showing=deps), invocation)
    except Refusal as refusal:
        return refusal.reply()


PIECES = (("The Parties ", "same"), ("shall", "deleted"), ("should <b>", "inserted"))


async def test_show_lists_every_change_of_the_standing_proposal() -> None:
    deps = Shown([MarkedParagraph(str(n), PIECES) for n in range(1, 13)])
    reply = await run(deps, "!show ag Matriz.docx")
    assert deps.asked == [("AG", "Matriz.docx", None)]
    assert reply.text.startswith(
        "AG_Matriz.docx, the proposal of AG on Matriz.docx (version 2): 12 paragraph(s) changed."
    )
    assert reply.text.count("• paragraph ") == 12 and "more paragraph" not in reply.text
    assert "• paragraph 12: The Parties [-shall-]{+should <b>+}" in reply.text
    assert (
        "<li>paragraph 12: The Parties <del>shall</del><u>should &lt;b&gt;</u></li>" in reply.html
    )


async def test_show_of_a_very_long_proposal_comes_in_several_messages() -> None:
    deps = Shown([MarkedParagraph(str(n), (("y" * 3000, "inserted"),)) for n in range(1, 9)])
    reply = await run(deps, "!show AG Matriz.docx", Role.FOCAL_POINT, PLENARY)
    messages = [reply, *reply.more]
    assert len(messages) >= 3
    assert sum(m.text.count("y" * 3000) for m in messages) == 8


async def test_show_of_one_paragraph() -> None:
    deps = Shown([MarkedParagraph("3", PIECES)])
    reply = await run(deps, "!show AG Matriz.docx 3", Role.FOCAL_POINT, DESK)
    assert deps.asked == [("AG", "Matriz.docx", 3)]
    assert reply.text.startswith(
        "AG_Matriz.docx, the proposal of AG on Matriz.docx (version 2), on paragraph 3:"
    )
    unchanged = await run(Shown([]), "!show AG Matriz.docx 4")
    assert unchanged.text == (
        "AG_Matriz.docx, the proposal of AG on Matriz.docx (version 2), does not change "
        "paragraph 4."
    )


async def test_show_refuses_what_is_not_there() -> None:
    deps = Shown([])
    assert (await run(deps, "!show BR Matriz.docx")).text == (
        "Refused: BR has no standing proposal on Matriz.docx."
    )
    assert (await run(deps, "!show AG Matriz.docx 99")).text.startswith(
        "Refused: version 2 of Matriz.docx has no paragraph 99;"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("!show", "code is missing"),
        ("!show AG", "document is missing"),
        ("!show AGX Matriz.docx", "code: is longer than 2 characters"),
        ("!show AG Matriz.docx twelve", "paragraph: a whole number is expected"),
        ("!show AG Matriz.docx 0", "paragraph: must be at least 1"),
        ("!show AG Matriz.docx 3 4", "!show"),
    ],
)
def test_show_parses_its_arguments(body: str, problem: str) -> None:
    with pytest.raises(UsageError) as error:
        default_table().bind(body, asked(body))
    assert problem in error.value.reply.text
    assert "Usage: !show <code> <document> [paragraph]" in error.value.reply.text


def test_show_is_for_the_rooms_where_documents_are_discussed() -> None:
    table = default_table()
    for role, place in (
        (Role.FOCAL_POINT, PLENARY),
        (Role.FOCAL_POINT, DESK),
        (Role.CHAIR, MODERATION),
    ):
        table.bind("!show AG Matriz.docx", asked("!show AG Matriz.docx", role, place))
    with pytest.raises(Exception, match="!show"):
        table.bind("!show AG Matriz.docx", asked("!show AG Matriz.docx", Role.EXPERT, DIRECT))


# -- the compile summary -----------------------------------------------------------------------


def test_the_compile_summary_shows_each_conflicts_alternatives_and_who_proposed_them() -> None:
    result = compile_job("Matriz.docx", BASE, [("AG_Matriz.docx", AG), ("BR_Matriz.docx", BR)])
    compilation = CompileResult.from_json(result.to_json()).compilation
    assert compilation.conflict_views == result.compilation.conflict_views
    lines = conflict_lines(compilation)
    assert [plain.split(":")[0] for plain, _ in lines] == ["paragraph 1, AG", "paragraph 1, BR"]
    ag, br = lines
    assert ag[0].startswith(
        "paragraph 1, AG: The parties [-shall-]{+should <script>alert(1)</script>+} cooperate"
    )
    assert br[0].startswith("paragraph 1, BR: The parties [-shall-]{+will+} cooperate in")
    assert "<del>shall</del><u>should &lt;script&gt;" in ag[1] and "<script>" not in ag[1]
    assert "<u>will</u>" in br[1]
    french = conflict_lines(compilation, translator("fr"))
    assert french[1][0].startswith("paragraphe 1, BR : The parties [-shall-]{+will+}")


def test_many_conflicts_are_cut_with_a_word_of_the_matrix() -> None:
    pieces = (("a ", "same"), ("b", "inserted"))
    views = [
        ConflictView(str(n), ((("AG",), pieces), (("BR", "CL"), pieces)))
        for n in range(1, CONFLICTS_SHOWN + 4)
    ]
    compilation = Compilation(b"", [], [], len(views), [], 0, conflict_views=views)
    lines = conflict_lines(compilation)
    assert len(lines) == 2 * CONFLICTS_SHOWN + 1
    assert lines[1][0] == "paragraph 1, BR, CL: a {+b+}"
    assert lines[-1][0] == "and 3 more conflict(s): see the compilation matrix."


def test_changed_paragraphs_with_no_bound_show_every_one() -> None:
    many = [MarkedParagraph(str(n), (("x", "inserted"),)) for n in range(1, 30)]
    assert len(changed_paragraphs(many, str, show="")) == 29
