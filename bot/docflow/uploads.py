"""Where a file uploaded on its own goes (SPEC §3), by room and role.

In the plenary it is a proposal (`intake.py`); in a folder room, from those who post there
(the Chair and the Secretariat: `room_policies.access_table.ACCESS`, R9, which the power levels
enforce), it is registered as a publication (`publishing.py`); anything else the platform leaves
alone. `commands/receipts.py` words the outcome.
"""

from __future__ import annotations

from bot.docflow.intake import Intake
from bot.docflow.publishing import Publisher
from bot.governance.directory import RoomDirectory
from commands.documents_deps import FolderUpload, UploadOutcome
from commands.table import Invocation
from room_policies.access_table import ACCESS
from room_policies.roles import RoomKind


class Uploads:
    def __init__(self, *, rooms: RoomDirectory, intake: Intake, publisher: Publisher) -> None:
        self.rooms = rooms
        self.intake = intake
        self.publisher = publisher

    async def upload(self, invocation: Invocation) -> UploadOutcome | None:
        attachment = invocation.attachment
        if attachment is None:
            return None
        if invocation.place == RoomKind.PLENARY.value:
            return await self.intake.submit(invocation, attachment)
        ref = self.rooms.ref_of(invocation.room_id)
        if ref is None or ref.kind is not RoomKind.FOLDER or ref.folder is None:
            return None
        if not ACCESS[RoomKind.FOLDER][invocation.role].posts:
            return None  # the power levels keep them from posting there: not a publication
        return FolderUpload(await self.publisher.folder_upload(invocation, ref.folder))
