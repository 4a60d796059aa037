"""Where a file uploaded on its own goes (`bot/docflow/uploads.py`): a proposal in the plenary, a
publication from those who post in a folder room (room_policies' access table), else nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.docflow.uploads import Uploads
from commands.documents_deps import FolderUpload, ProposalRefused, PublishedInfo
from commands.table import DESK, PLENARY, Attachment, Invocation
from room_policies.roles import FolderKey, Role, RoomKind
from room_policies.rooms import RoomRef
from tests.unit.test_document_commands import PUBLISHED

FOLDER = RoomKind.FOLDER.value  # where a folder room's upload comes from
FILE = Attachment("AG_Matriz.docx", "application/octet-stream", 10, "$file", {})
ROOMS = {
    "!plan:x": RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN),
    "!plenary:x": RoomRef(RoomKind.PLENARY),
}


@dataclass
class Directory:
    def ref_of(self, room_id: str) -> RoomRef | None:
        return ROOMS.get(room_id)


@dataclass
class Intake:
    submitted: list[str] = field(default_factory=list)

    async def submit(self, invocation: Invocation, attachment: Attachment) -> ProposalRefused:
        self.submitted.append(attachment.file_name)
        return ProposalRefused("checked")


@dataclass
class Publisher:
    registered: list[FolderKey] = field(default_factory=list)

    async def folder_upload(self, invocation: Invocation, folder: FolderKey) -> PublishedInfo:
        self.registered.append(folder)
        return PUBLISHED


def uploaded(
    room_id: str, role: Role, place: str, attachment: Attachment | None = FILE
) -> Invocation:
    return Invocation("@x:x", room_id, "$upload", "", 0, 0, role, place, attachment=attachment)


@pytest.fixture
def parts() -> tuple[Uploads, Intake, Publisher]:
    intake, publisher = Intake(), Publisher()
    uploads = Uploads(rooms=Directory(), intake=intake, publisher=publisher)  # type: ignore[arg-type]
    return uploads, intake, publisher


async def test_an_upload_in_the_plenary_is_a_proposal(
    parts: tuple[Uploads, Intake, Publisher],
) -> None:
    uploads, intake, publisher = parts
    outcome = await uploads.upload(uploaded("!plenary:x", Role.FOCAL_POINT, PLENARY))
    assert outcome == ProposalRefused("checked")
    assert (intake.submitted, publisher.registered) == (["AG_Matriz.docx"], [])


@pytest.mark.parametrize("role", [Role.CHAIR, Role.SECRETARIAT])
async def test_the_chair_and_the_secretariat_publish_by_posting_in_a_folder(
    parts: tuple[Uploads, Intake, Publisher], role: Role
) -> None:
    uploads, intake, publisher = parts
    outcome = await uploads.upload(uploaded("!plan:x", role, FOLDER))
    assert outcome == FolderUpload(PUBLISHED)
    assert (intake.submitted, publisher.registered) == ([], [FolderKey.PLAN])


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.EXPERT, Role.OUTSIDER, Role.WARDEN])
async def test_anyone_else_in_a_folder_is_left_alone(
    parts: tuple[Uploads, Intake, Publisher], role: Role
) -> None:
    uploads, intake, publisher = parts
    assert await uploads.upload(uploaded("!plan:x", role, FOLDER)) is None
    assert (intake.submitted, publisher.registered) == ([], [])


async def test_uploads_elsewhere_or_without_a_file_are_left_alone(
    parts: tuple[Uploads, Intake, Publisher],
) -> None:
    uploads, intake, publisher = parts
    assert await uploads.upload(uploaded("!desk:x", Role.FOCAL_POINT, DESK)) is None
    assert await uploads.upload(uploaded("!plan:x", Role.CHAIR, FOLDER, None)) is None
    assert (intake.submitted, publisher.registered) == ([], [])
