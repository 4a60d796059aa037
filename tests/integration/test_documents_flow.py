"""Documents in the chat on a real Synapse with real E2EE clients (issue #5, first part):
publish, proposals with receipts and refusals, compile."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator

import pytest
from nio import Event, MegolmEvent, RoomEncryptedFile, RoomGetEventResponse
from nio.exceptions import EncryptionError

from bot.demo.synapse_server import LocalSynapse
from bot.docflow.engine import Engine
from documents.errors import EngineFault
from documents.tracked_changes import read_document
from room_policies.roles import FolderKey, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.faulty_engine import CONTENT_MARKER, faulty_job
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, wait_for
from tests.unit.docx_builder import build, dele, ins, p, r
from tests.unit.hostile_docx import billion_laughs, linked, with_chart, workbook_with_macros

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
PLAN = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)

BASE = build(
    p(r("The parties shall cooperate in disaster prevention.")),
    p(r("Each State shall designate a focal point.")),
    p(r("The Secretariat shall report annually.")),
)
AG = build(
    p(
        r("The parties "),
        dele(r("shall"), author="AG"),
        ins(r("should"), author="AG"),
        r(" cooperate in disaster prevention."),
    ),
    p(r("Each State shall designate a focal point.")),
    p(r("The Secretariat shall report annually.")),
)
BR = build(
    p(r("The parties shall cooperate in disaster prevention.")),
    p(r("Each State shall designate a "), ins(r("national "), author="BR"), r("focal point.")),
    p(r("The Secretariat shall report annually.")),
)
# BR's proposal in the flow: "will" where AG has "should" (a conflict), and "national".
BR_WILL = build(
    p(
        r("The parties "),
        dele(r("shall"), author="BR"),
        ins(r("will"), author="BR"),
        r(" cooperate in disaster prevention."),
    ),
    p(r("Each State shall designate a "), ins(r("national "), author="BR"), r("focal point.")),
    p(r("The Secretariat shall report annually.")),
)
UNTRACKED = build(
    p(r("The parties shall cooperate in disaster prevention.")),
    p(r("Each State will designate a focal point."), ins(r(" Now."), author="AG")),
    p(r("The Secretariat shall report annually.")),
)


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    # A small size cap, so that "too large" is cheap to show.
    wg = WorkingGroup(
        synapse,
        tmp_path_factory.mktemp("docs"),
        ("AG", "BR"),
        extra_config="documents: {max_bytes: 200000}\n",
    )
    await wg.create_accounts()
    await wg.make_account("cl.fp")
    await wg.start()
    await wg.accept_invites()
    wg.people = {seat: await wg.matrix_user(seat) for seat in ("chair", "ag.fp", "br.fp")}  # type: ignore[attr-defined]
    yield wg
    await wg.stop()


async def test_a_command_the_role_does_not_allow_is_refused(group: WorkingGroup) -> None:
    ag = user(group, "ag.fp")
    answer = await reply_to(ag, await ag.send_text(group.room_id(PLENARY), "!compile"))
    assert answer.startswith("Refused: !compile is for the Chair and the Technical Secretariat")


def is_notice(event: Event) -> bool:
    return bool(event.source.get("content", {}).get("msgtype") == "m.notice")


def user(group: WorkingGroup, seat: str) -> MatrixUser:
    return group.people[seat]  # type: ignore[attr-defined,no-any-return]


async def reply_to(who: MatrixUser, event_id: str) -> str:
    return body_of(await who.wait_reply(event_id, timeout=90))


def body_of(event: Event) -> str:
    return str(getattr(event, "body", ""))


def formatted_body_of(event: Event) -> str:
    """The HTML of a message as the client decrypted it."""
    return str(event.source.get("content", {}).get("formatted_body", ""))


async def file_in(who: MatrixUser, room_id: str, name: str) -> Event:
    _, event = await who.wait_for(
        lambda rid, ev: (
            rid == room_id
            and isinstance(ev, RoomEncryptedFile)
            and ev.source["content"].get("filename") == name
        ),
        timeout=90,
    )
    return event


async def test_publish_propose_and_compile(group: WorkingGroup) -> None:
    chair, ag, br = user(group, "chair"), user(group, "ag.fp"), user(group, "br.fp")
    moderation, plenary, plan = (group.room_id(r) for r in (MODERATION, PLENARY, PLAN))

    # The chair publishes the base in the plan folder, with the command as the file's caption.
    sent = await chair.send_file(
        moderation, BASE, "Matriz.docx", "!publish plan --symbol OEA/Ser.G/CP-12 --title Matriz"
    )
    answer = await reply_to(chair, sent)
    assert "Published Matriz.docx" in answer and "version 1" in answer
    posted = await file_in(ag, plan, "Matriz.docx")
    assert await ag.download(posted) == BASE
    await ag.wait_for(
        lambda rid, ev: rid == plenary and "New in" in getattr(ev, "body", ""), timeout=60
    )

    # Both focal points submit; both get receipts; the proposals are filed in the plan folder.
    ag_sent = await ag.send_file(plenary, AG, "AG_Matriz.docx")
    br_sent = await br.send_file(plenary, BR_WILL, "BR_Matriz.docx")
    ag_event = await ag.wait_reply(ag_sent, timeout=90)
    ag_receipt, ag_html = body_of(ag_event), formatted_body_of(ag_event)
    br_receipt = await reply_to(br, br_sent)
    assert ag_receipt.startswith("Receipt: AG_Matriz.docx") and "changes: 1" in ag_receipt
    assert "paragraphs touched: 1" in ag_receipt and "sha256: " in ag_receipt
    # The receipt shows the change, as the focal point's client decrypted it: the words around
    # it, the deleted word struck through and the inserted one underlined (markers in the body).
    assert "• paragraph 1: The parties [-shall-]{+should+} cooperate in disaster prevention." in (
        ag_receipt.splitlines()
    ), ag_receipt
    assert "<li>paragraph 1: The parties <del>shall</del><u>should</u> cooperate" in ag_html
    assert br_receipt.startswith("Receipt: BR_Matriz.docx")
    assert "paragraphs touched: 1, 2" in br_receipt
    assert "• paragraph 2: Each State shall designate a {+national +}focal point." in br_receipt
    await file_in(ag, plan, "AG_Matriz.docx")

    # !show: every change of a delegation's standing proposal, or those of one paragraph.
    shown = await chair.wait_reply(await chair.send_text(moderation, "!show br Matriz.docx"), 90)
    assert body_of(shown).splitlines() == [
        "BR_Matriz.docx, the proposal of BR on Matriz.docx (version 1): 2 paragraph(s) changed.",
        "• paragraph 1: The parties [-shall-]{+will+} cooperate in disaster prevention.",
        "• paragraph 2: Each State shall designate a {+national +}focal point.",
    ], body_of(shown)
    assert "<del>shall</del><u>will</u>" in formatted_body_of(shown)
    one = await reply_to(ag, await ag.send_text(plenary, "!show BR Matriz.docx 2"))
    assert "on paragraph 2:" in one and "{+national +}" in one and "{+will+}" not in one

    status = await reply_to(ag, await ag.send_text(plenary, "!status"))
    assert "AG_Matriz.docx on Matriz.docx v1" in status and "standing" in status

    # The chair compiles: the revision and the matrix come back to the moderation room.
    compiled = await chair.send_text(moderation, "!compile")
    _, reply = await chair.wait_for(
        lambda rid, ev: (
            rid == moderation
            and getattr(ev, "body", "").startswith("Compiled")
            and ev.source["content"].get("m.relates_to", {}).get("event_id") == compiled
        ),
        timeout=120,
    )
    summary = str(getattr(reply, "body", ""))
    assert "Compiled Matriz.docx" in summary and "2 proposal(s)" in summary
    # The conflict, with each alternative and who proposed it, where the Chair reads it.
    assert "• paragraph 1: conflict between AG, BR" in summary
    lines = summary.splitlines()
    assert (
        "• paragraph 1, AG: The parties [-shall-]{+should+} cooperate in disaster prevention."
        in (lines)
    ), summary
    assert "• paragraph 1, BR: The parties [-shall-]{+will+} cooperate in disaster prevention." in (
        lines
    ), summary
    conflict_html = formatted_body_of(reply)
    assert "<li>paragraph 1, AG: The parties <del>shall</del><u>should</u> cooperate" in (
        conflict_html
    )
    assert "<li>paragraph 1, BR: The parties <del>shall</del><u>will</u> cooperate" in conflict_html
    revision = await file_in(chair, moderation, "Matriz_rev1.docx")
    await file_in(chair, moderation, "Matriz_compilation.docx")
    text = " ".join(read_document(await chair.download(revision)).accept_view())
    assert "should (AG)" in text and "national (BR)" in text


@pytest.mark.parametrize(
    ("seat", "file_name", "data", "reason"),
    [
        ("ag.fp", "BR_Matriz.docx", BR, "named for BR, but you speak for AG"),
        ("ag.fp", "AG_Unknown.docx", AG, "no published document “Unknown.docx”"),
        ("ag.fp", "AG_Matriz.docx", BASE, "contains no tracked changes"),
        ("ag.fp", "AG_Matriz.docx", UNTRACKED, "without Track Changes in paragraph 2"),
        ("chair", "AG_Matriz.docx", AG, "only a delegation's focal point submits proposals"),
        ("ag.fp", "AG_Matriz.docx", b"%PDF-1.4 not a word file", "not a Word"),
        ("ag.fp", "AG_Matriz.docx", billion_laughs(), "Refused"),
        ("ag.fp", "AG_Matriz.docx", AG + bytes(250_000), "the limit is 200 kB"),
    ],
)
async def test_refusals_in_the_plenary(
    group: WorkingGroup, seat: str, file_name: str, data: bytes, reason: str
) -> None:
    who = user(group, seat)
    plenary = group.room_id(PLENARY)
    registry = group.bot.app.documents.registry  # type: ignore[union-attr]
    before = len(await registry.proposals())
    answer = await reply_to(who, await who.send_file(plenary, data, file_name))
    assert answer.startswith("Refused: "), answer
    assert reason in answer, answer
    assert "Nothing was filed" in answer or "nothing was filed" in answer
    assert len(await registry.proposals()) == before


async def test_check_in_the_desk_and_paragraph_statuses(group: WorkingGroup) -> None:
    ag, chair = user(group, "ag.fp"), user(group, "chair")
    desk = group.room_id(RoomRef(RoomKind.DESK, delegation="AG"))  # type: ignore[arg-type]
    answer = await reply_to(ag, await ag.send_file(desk, AG, "AG_Matriz.docx", "!check"))
    assert answer.startswith("Would be accepted") and "base: Matriz.docx version 1" in answer
    refused = await reply_to(ag, await ag.send_file(desk, BASE, "AG_Matriz.docx", "!check"))
    assert refused.startswith("Would be refused") and "no tracked changes" in refused
    moderation = group.room_id(MODERATION)
    agreed = await reply_to(chair, await chair.send_text(moderation, "!agree Matriz.docx 1,3"))
    assert "paragraph(s) 1, 3 agreed ad referendum" in agreed
    bad = await reply_to(chair, await chair.send_text(moderation, "!agree Matriz.docx 3-1"))
    assert bad.startswith("Refused:")


async def new_session(group: WorkingGroup, seat: str, name: str, *, signed: bool) -> MatrixUser:
    """`seat` signs in on another device; `signed`: its owner cross-signs it with the identity
    their first session holds (Element's "verify this session")."""
    user_id, password = group.accounts[seat]
    session = MatrixUser(group.synapse.url, user_id, password, group.directory / "users" / name)
    await session.login(cross_sign=False)
    group.users.append(session)
    if signed:
        await session.cross_sign(user(group, seat).identity)
    return session


async def audited(group: WorkingGroup, device: str, room_id: str, decision: str) -> str:
    """The rule of the audited answer to `device`'s room-key request in `room_id`, once there."""
    audit = group.bot.app.governance.audit  # type: ignore[union-attr]
    found: list[str] = []

    async def answered() -> bool:
        found[:] = [
            r.rule
            for r in await audit.latest(50)
            if r.action == "room key request"
            and (r.target, r.room, r.decision) == (device, room_id, decision)
        ]
        return bool(found)

    await wait_for(answered, 30, f"the answer to {device}'s room-key request")
    return found[0]


async def test_a_session_made_after_a_document_reads_it(group: WorkingGroup) -> None:
    """Issue #14: the focal point signs in on a new device after Matriz.docx was published; the
    document there is "Unable to decrypt" until the bot answers the new session's room-key
    request (a client asking the sender, nio here: Element's Rust crypto asks only its owner's
    devices) or `!get` sends it again. A session its owner did not verify gets no key."""
    plan = group.room_id(PLAN)
    desk = group.room_id(RoomRef(RoomKind.DESK, delegation="AG"))  # type: ignore[arg-type]
    registry = group.bot.app.documents.registry  # type: ignore[union-attr]
    published = await registry.latest("Matriz.docx", "plan")
    assert published is not None and published.event_id is not None
    phone = await new_session(group, "ag.fp", "ag.fp-phone", signed=True)
    fetched = await phone.client.room_get_event(plan, published.event_id)
    assert isinstance(fetched, RoomGetEventResponse) and isinstance(fetched.event, MegolmEvent)
    document = fetched.event
    document.room_id = plan
    with pytest.raises(EncryptionError):
        phone.client.decrypt_event(document)  # what Element shows as "Unable to decrypt"

    # A room-key request to the bot: its own session, a cross-signed device of a member.
    await phone.request_room_key(group.id("bot"), document)
    assert await audited(group, str(phone.client.device_id), plan, "shared") == "K4"
    decrypted: list[Event] = []

    def readable() -> bool:
        try:
            decrypted[:] = [phone.client.decrypt_event(document)]
        except EncryptionError:
            return False
        return True

    await wait_for(readable, 30, "the forwarded room key")
    assert isinstance(decrypted[0], RoomEncryptedFile)
    assert await phone.download(decrypted[0]) == BASE

    # A session nobody verified asks too: no key, and the audit log says why (K3).
    stranger = await new_session(group, "ag.fp", "ag.fp-unverified", signed=False)
    await stranger.request_room_key(group.id("bot"), document)
    assert await audited(group, str(stranger.client.device_id), plan, "refused") == "K3"
    with pytest.raises(EncryptionError):
        stranger.client.decrypt_event(document)

    # !get in the desk, from the new session: the file in the command's thread, readable there.
    asked = await phone.send_text(desk, "!get Matriz")
    _, notice = await phone.wait_for(
        lambda rid, ev: rid == desk and ev in phone.replies_to(asked) and is_notice(ev), 90
    )
    assert notice.body.startswith("Matriz.docx, version 1 (the current one)"), notice.body  # type: ignore[attr-defined]
    sent = await file_in(phone, desk, "Matriz.docx")
    assert sent.source["content"]["m.relates_to"]["event_id"] == asked
    assert await phone.download(sent) == BASE
    refused = await reply_to(phone, await phone.send_text(desk, "!get Matriz 4"))
    assert refused.startswith("Refused: Matriz.docx has no version 4; its versions are 1 to 1")
    unknown = await reply_to(phone, await phone.send_text(desk, "!get Nada"))
    assert "there is no published document “Nada”" in unknown and "!get" in unknown


async def test_a_focal_point_added_later_receives_the_folders_documents(
    group: WorkingGroup,
) -> None:
    chair = user(group, "chair")
    newcomer = await group.matrix_user("cl.fp")  # the device exists before anything is sent
    added = await reply_to(
        chair,
        await chair.send_text(group.room_id(MODERATION), f"!delegation add CL {group.id('cl.fp')}"),
    )
    assert "Delegation CL (Chile) added" in added
    await group.accept_invites(["cl.fp"])
    plan = group.room_id(PLAN)
    document = await file_in(newcomer, plan, "Matriz.docx")
    assert await newcomer.download(document) == BASE


async def test_reference_suggestions(group: WorkingGroup) -> None:
    ag, chair = user(group, "ag.fp"), user(group, "chair")
    desk = group.room_id(RoomRef(RoomKind.DESK, delegation="AG"))  # type: ignore[arg-type]
    moderation = group.room_id(MODERATION)
    study = build(p(r("A study on early warning systems.")))
    answer = await reply_to(
        ag, await ag.send_file(group.room_id(PLENARY), study, "Study.docx", "!suggest")
    )
    assert answer.startswith("Suggestion #1 (Study.docx) is with the Chair")
    await file_in(chair, moderation, "Study.docx")
    listing = await reply_to(chair, await chair.send_text(moderation, "!references"))
    assert "#1 AG: Study.docx" in listing and "pending" in listing
    accepted = await reply_to(chair, await chair.send_text(moderation, "!accept 1"))
    assert "Suggestion #1 accepted" in accepted
    await ag.wait_for(
        lambda rid, ev: rid == desk and "was accepted" in getattr(ev, "body", ""), timeout=60
    )
    reference = group.room_id(RoomRef(RoomKind.FOLDER, folder=FolderKey.REFERENCE))
    assert await ag.download(await file_in(ag, reference, "Study.docx")) == study
    again = await reply_to(chair, await chair.send_text(moderation, "!decline 1 too late"))
    assert again == "Refused: suggestion #1 was already accepted."
    second = await reply_to(ag, await ag.send_file(desk, study, "Other.docx", "!suggest"))
    assert second.startswith("Suggestion #2")
    declined = await reply_to(
        chair, await chair.send_text(moderation, "!decline 2 'not within the mandate'")
    )
    assert "declined" in declined
    await ag.wait_for(
        lambda rid, ev: rid == desk and "not within the mandate" in getattr(ev, "body", ""),
        timeout=60,
    )


async def test_a_document_with_a_dangerous_link_or_workbook_is_neither_published_nor_suggested(
    group: WorkingGroup,
) -> None:
    """Documents the platform re-posts to every delegation pass the proposals' gate (issue #9)."""
    chair, ag = user(group, "chair"), user(group, "ag.fp")
    moderation = group.room_id(MODERATION)
    registry = group.bot.app.documents.registry  # type: ignore[union-attr]
    before = len(await registry.current(None))
    unc = linked("\\\\attacker.example\\share\\x.docx")
    answer = await reply_to(
        chair, await chair.send_file(moderation, unc, "Note.docx", "!publish reference")
    )
    assert answer.startswith("Refused: Note.docx"), answer
    assert "attacker" not in answer
    macro_book = with_chart(workbook_with_macros())
    suggested = await reply_to(
        ag, await ag.send_file(group.room_id(PLENARY), macro_book, "Chart.docx", "!suggest")
    )
    assert suggested.startswith("Refused: Chart.docx"), suggested
    assert len(await registry.current(None)) == before
    listing = await reply_to(chair, await chair.send_text(moderation, "!references"))
    assert "Chart.docx" not in listing


async def test_the_homeserver_holds_no_plaintext_of_files_or_messages(group: WorkingGroup) -> None:
    """Synapse's media store and database hold ciphertext only: no Word package (its zip entry
    names are stored in the clear in any .docx), no file name, no receipt."""
    for needle in (b"word/document.xml", b"AG_Matriz.docx", b"Receipt: ", b"Study.docx"):
        holding = [
            path
            for path in group.synapse.directory.rglob("*")
            if path.is_file() and needle in path.read_bytes()
        ]
        assert holding == [], (needle, holding)


async def test_an_engine_fault_is_an_internal_error_with_a_reference_never_a_damaged_file(
    group: WorkingGroup, caplog: pytest.LogCaptureFixture
) -> None:
    """The engine's own bug, while checking a proposal, compiling or gating a publication, is
    answered as an internal error with a reference, logged with that reference and the fault's
    detail (its type and where), never with what it quoted of the file; nothing is filed."""
    chair, ag = user(group, "chair"), user(group, "ag.fp")
    moderation, plenary = group.room_id(MODERATION), group.room_id(PLENARY)
    services = group.bot.app.router.dispatcher.services  # type: ignore[union-attr]
    registry = group.bot.app.documents.registry  # type: ignore[union-attr]
    proposals, published = len(await registry.proposals()), len(await registry.current(None))
    holders = (services.proposals, services.compilation, services.documents)
    tools = [holder.tools for holder in holders]
    faulty = Engine(check=faulty_job, compile=faulty_job, gate=faulty_job)
    caplog.set_level(logging.INFO)
    try:
        for holder in holders:
            holder.tools = dataclasses.replace(holder.tools, engine=faulty)
        answers = [
            await reply_to(ag, await ag.send_file(plenary, AG, "AG_Matriz.docx")),
            await reply_to(chair, await chair.send_text(moderation, "!compile")),
            await reply_to(
                chair, await chair.send_file(moderation, BASE, "Note.docx", "!publish reference")
            ),
        ]
    finally:
        for holder, kept in zip(holders, tools, strict=True):
            holder.tools = kept
    for answer in answers:
        internal = re.fullmatch(
            r"Internal error \(ref (\w+)\)\. The Secretariat can trace it with this reference\.",
            answer,
        )
        assert internal is not None, answer
        # The engine's line (the fault's type and where) and the handler's (its traceback),
        # both under the reference the asker was given.
        logged = [r for r in caplog.records if internal[1] in r.getMessage()]
        assert any("TypeError" in r.getMessage() and "faulty_job" in r.getMessage() for r in logged)
        faults = [r.exc_info[1] for r in logged if r.exc_info is not None]
        assert faults and all(isinstance(f, EngineFault) for f in faults)
    assert CONTENT_MARKER not in caplog.text
    assert len(await registry.proposals()) == proposals
    assert len(await registry.current(None)) == published


# Last: it makes version 2 the base, which the tests above do not expect.
async def test_distribute_makes_the_revised_text_the_next_version(group: WorkingGroup) -> None:
    chair, ag = user(group, "chair"), user(group, "ag.fp")
    moderation, plan = group.room_id(MODERATION), group.room_id(PLAN)
    seen = len(ag.events)
    answer = await reply_to(chair, await chair.send_text(moderation, "!distribute"))
    assert "Matriz.docx version 2" in answer and "Matriz_rev1.docx" in answer, answer
    revision = await file_in(ag, plan, "Matriz_rev1.docx")
    assert read_document(await ag.download(revision)).has_changes

    before = {id(ev) for _, ev in ag.events[:seen]}

    def second_version(rid: str, ev: Event) -> bool:
        return (
            rid == plan
            and id(ev) not in before
            and isinstance(ev, RoomEncryptedFile)
            and ev.source["content"].get("filename") == "Matriz.docx"
        )

    _, clean = await ag.wait_for(second_version, timeout=90)
    text = read_document(await ag.download(clean))
    assert not text.has_changes
    assert "should (AG)" in " ".join(text.accept_view())
    listing = await reply_to(chair, await chair.send_text(moderation, "!documents plan"))
    assert "Matriz.docx v2" in listing
