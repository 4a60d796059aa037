"""`!guide` and the welcome: a short guide for the reader's role, in their language (issue #11).

The guide tells a person their rooms and who is in each (SPEC §2's table, `ACCESS`, applied to
the roster by `room_policies.membership.access`), what they may do there (the command table's
grants: `Catalog.allowed`, never a list kept by hand), how to change their password in Element,
why and how to verify a new session, how to choose their language and ask the Technical
Secretariat for help; a focal point also reads how to submit a proposal and how to read its
receipt (`commands/guide_proposals.py`). The bot sends it once, the first time the person joins
a governed room (`bot/governance/welcome.py`); `!guide` sends it again.

It is read on a phone: short sentences, headings and lists Element renders, a plain body too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from commands.guide_proposals import proposal_sections
from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.table import DIRECT, Catalog, Invocation, NoArgs
from room_policies.access_table import ACCESS, Standing
from room_policies.membership import access, role_in
from room_policies.roles import PER_DELEGATION, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef, desired_rooms, room_name
from room_policies.roster import Roster

__all__ = ["SUMMARY", "Args", "Deps", "Page", "Reader", "compose", "handle"]

SUMMARY = N_("send you again the guide for your role: your rooms, your password, your sessions")

# The people of the roster, in the order the guide names them.
PEOPLE: tuple[Role, ...] = (Role.CHAIR, Role.SECRETARIAT, Role.FOCAL_POINT, Role.EXPERT)


class Args(NoArgs):
    pass


@dataclass(frozen=True)
class Reader:
    """Whom the guide is for, and what it is derived from."""

    user: UserId
    roster: Roster
    platform: Platform
    catalog: Catalog
    timezone: str = "UTC"  # the working group's (`timezone`): a receipt's moment is told in it

    @property
    def role(self) -> Role:
        return role_in(self.roster, self.platform, self.user)

    @property
    def delegation_name(self) -> str:
        code = self.roster.delegation_of(self.user)
        delegation = self.roster.delegation(code or "")
        return delegation.name if delegation is not None else str(code or "")


class Deps(Protocol):
    async def reader(self, user_id: str) -> Reader | None:
        """The guide's reader, if they are on the roster (never a platform account)."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    reader = await deps.reader(invocation.sender)
    if reader is None or reader.role not in PEOPLE:
        return Reply.plain(_("The guide is for the people on the working group's roster."))
    return compose(reader, _)


@dataclass
class Page:
    """A guide in two renderings: headings, paragraphs and lists for Element, plain lines too."""

    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def title(self, line: str) -> None:
        self.text.append(line)
        self.html.append(f"<h3>{html.escape(line)}</h3>")

    def heading(self, line: str) -> None:
        self.text += ["", line.upper()]
        self.html.append(f"<h4>{html.escape(line)}</h4>")

    def paragraph(self, line: str) -> None:
        self.text.append(line)
        self.html.append(f"<p>{html.escape(line)}</p>")

    def items(self, lines: Sequence[str], *, ordered: bool = False) -> None:
        for n, line in enumerate(lines, 1):
            self.text.append(f"{n}. {line}" if ordered else f"• {line}")
        tag = "ol" if ordered else "ul"
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        self.html.append(f"<{tag}>{items}</{tag}>")

    def reply(self) -> Reply:
        return Reply(text="\n".join(self.text), html="".join(self.html))


def compose(reader: Reader, _: Translate) -> Reply:
    """The guide for `reader`'s role, worded with `_` (their language)."""
    role = reader.role
    page = Page()
    page.title(_("Welcome to {working_group}").format(working_group=reader.roster.working_group))
    page.paragraph(_introduction(reader, _))
    page.paragraph(
        _(
            "This guide sums up your rooms, what you may do in each, and how to keep your account "
            "safe. Send !guide to the bot at any time to read it again."
        )
    )
    page.heading(_("Your rooms"))
    page.items(_rooms(reader, _))
    page.heading(_("Your password"))
    page.paragraph(
        _(
            "To change your password in Element, open the menu under your picture (top left), "
            "choose “All settings”, then “Account”, and use “Change password”. Change the "
            "password you were given the first time you sign in, and use it nowhere else."
        )
    )
    page.heading(_("A new session"))
    page.paragraph(
        _(
            "The platform acts only on what comes from a session you have verified. When you sign "
            "in on a new device or browser, Element asks you to verify the new session: choose "
            "“Verify with another device” and confirm on a session you already use, or enter "
            "your Security Key."
        )
    )
    page.paragraph(
        _(
            "Until you do, the other participants' clients hide your messages and the bot "
            "refuses your commands."
        )
    )
    if any(room.kind is RoomKind.FOLDER for room in _rooms_of(reader)):
        page.paragraph(
            _(
                "A new session cannot open what was posted before it existed. Once it is "
                "verified, send !get and the document's name (for instance !get Matriz.docx) in "
                "a direct message with the bot: the bot sends the document again, readable on "
                "every session you have then."
            )
        )
    page.heading(_("Your language and help"))
    page.paragraph(
        _(
            "In a direct message with the bot, send !lang es, !lang fr, !lang pt or !lang en to "
            "choose the language the platform answers you in."
        )
    )
    if role is Role.SECRETARIAT:
        page.paragraph(
            _(
                "The participants ask the Technical Secretariat for help by writing !support and "
                "their question in a direct message with the bot."
            )
        )
    else:
        page.paragraph(
            _(
                "If you are stuck, write !support and your question in a direct message with the "
                "bot: the Technical Secretariat receives it and answers you there."
            )
        )
    page.paragraph(_("Send !help in any room with the bot for the commands you may use there."))
    if role is Role.FOCAL_POINT:
        proposal_sections(page, reader.roster, reader.user, _, reader.timezone)
    return page.reply()


def _introduction(reader: Reader, _: Translate) -> str:
    match reader.role:
        case Role.CHAIR:
            return _("You take part as the Chair of the working group.")
        case Role.SECRETARIAT:
            return _("You take part as a member of the Technical Secretariat.")
        case Role.FOCAL_POINT:
            return _("You take part as the focal point of {delegation}.").format(
                delegation=reader.delegation_name
            )
        case _:
            return _("You take part as an expert of the delegation of {delegation}.").format(
                delegation=reader.delegation_name
            )


# What each kind of room is, in a whole sentence around its name and its members.
_ROOM_SENTENCES: dict[RoomKind, str] = {
    RoomKind.SPACE: N_("“{name}”, the working group's space, which gathers its rooms: {members}."),
    RoomKind.PLENARY: N_("“{name}”, the plenary, where the delegations take part: {members}."),
    RoomKind.MODERATION: N_("“{name}”, the moderation room, the Chair's office: {members}."),
    RoomKind.FOLDER: N_("{names}, the folder rooms of documents: {members}."),
    RoomKind.DESK: N_("“{name}”, your desk, a private room with the platform: {members}."),
    RoomKind.EXPERTS: N_("“{name}”, the experts room of your delegation: {members}."),
    RoomKind.SUPPORT: N_(
        "“{name}”, the Support room, where requests sent with !support arrive as numbered "
        "tickets; answer one by replying to it: {members}."
    ),
}
# A room kind this guide does not describe yet: its name and its members.
_OTHER_ROOM = N_("“{name}”: {members}.")


def _rooms(reader: Reader, _: Translate) -> list[str]:
    """One item per room the reader is in (the folder rooms together), then the direct message
    with the bot."""
    lines = []
    rooms = _rooms_of(reader)
    folders = [room for room in rooms if room.kind is RoomKind.FOLDER]
    for room in rooms:
        if room.kind is RoomKind.FOLDER and room is not folders[0]:
            continue  # told with the first folder room
        names = [room_name(reader.roster, r) for r in (folders if room in folders else [room])]
        sentence = _(_ROOM_SENTENCES.get(room.kind, _OTHER_ROOM)).format(
            name=names[0],
            names=_and([_("“{name}”").format(name=name) for name in names], _),
            members=_members(reader, room, _),
        )
        parts = [sentence, *_standing(reader, room, _), *_commands(reader, room.kind.value, _)]
        lines.append(" ".join(parts))
    direct = [
        _("A direct message with the bot, which you may open at any time: you and the bot."),
        *_commands(reader, DIRECT, _),
    ]
    lines.append(" ".join(direct))
    return lines


def _rooms_of(reader: Reader) -> list[RoomRef]:
    """The rooms the reader is in, as the roster and SPEC §2's table say."""
    return [
        room
        for room in desired_rooms(reader.roster)
        if access(reader.roster, reader.platform, reader.user, room).is_member
    ]


def _members(reader: Reader, room: RoomRef, _: Translate) -> str:
    """Who is in the room, as SPEC §2's table and the roster say (R9, R12, R13)."""
    roster = reader.roster
    own = room.kind in PER_DELEGATION
    words = []
    for role in PEOPLE:
        if not ACCESS[room.kind][role].is_member:
            continue
        if role is Role.EXPERT and room.kind is RoomKind.FOLDER and not roster.experts_read_folders:
            continue  # R12
        if role is Role.FOCAL_POINT and own and reader.role is Role.FOCAL_POINT:
            words.append(_("you"))
        elif role is Role.FOCAL_POINT and own:
            words.append(
                _("the focal point of {delegation}").format(delegation=reader.delegation_name)
            )
        elif role is Role.FOCAL_POINT:
            words.append(_("the focal point of each delegation"))
        elif role is Role.EXPERT and own:
            words.append(_("the experts of {delegation}").format(delegation=reader.delegation_name))
        elif role is Role.EXPERT:
            words.append(_("the experts of each delegation"))
        else:
            words.append(_(_PEOPLE_WORDS[role]))
    if ACCESS[room.kind][Role.BOT].is_member:
        words.append(_("the bot"))
    return _and(words, _)


_PEOPLE_WORDS = {Role.CHAIR: N_("the Chair"), Role.SECRETARIAT: N_("the Technical Secretariat")}


def _standing(reader: Reader, room: RoomRef, _: Translate) -> list[str]:
    """What the reader's standing there means: moderating, posting or only reading; who governs."""
    cell = access(reader.roster, reader.platform, reader.user, room)
    said = []
    if cell.standing is Standing.MODERATOR:
        said.append(_("You moderate this room."))
    if room.kind is RoomKind.PLENARY and reader.role is Role.FOCAL_POINT:
        said.append(_("You submit your delegation's proposals here (see below)."))
    if room.kind is RoomKind.FOLDER:
        if cell.posts:
            said.append(
                _("You post documents here: each file posted is registered as a new version.")
            )
        else:
            said.append(
                _("You read the documents here; the Chair and the Technical Secretariat post them.")
            )
    if ACCESS[room.kind][Role.WARDEN].is_member:
        said.append(
            _(
                "The platform's warden governs this room; the bot is not in it, and the platform "
                "cannot read it."
            )
        )
    return said


def _commands(reader: Reader, place: str, _: Translate) -> list[str]:
    """The commands the command table grants the reader's role there (none: nothing said)."""
    asked = Invocation(
        sender=reader.user, room_id="", event_id="", body="", sent_ms=0, now_ms=0,
        role=reader.role, place=place,
    )  # fmt: skip
    names = [f"!{command.name}" for command in reader.catalog.allowed(asked)]
    if not names:
        return []
    return [_("Commands here: {commands}.").format(commands=", ".join(names))]


def _and(words: list[str], _: Translate) -> str:
    if len(words) == 1:
        return words[0]
    return _("{first} and {last}").format(first=", ".join(words[:-1]), last=words[-1])
