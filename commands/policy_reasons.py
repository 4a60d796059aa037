"""The rules' refusals (`room_policies.roles.Decision`) in the reader's language.

`room_policies` gives each refusal a code (`reasons.Why`) and its facts (user ids, an event
type, the room as a `Place`); the sentences are here, one catalog message per code, the rooms
and people named by phrases worded here too. In English each is the rules' own sentence, byte
for byte (the audit log keeps that one). A decision without a code (none a person reads should
be left) is shown as its English sentence. Breach reports (`corrections.breach_report`) and
the kick reasons of the reconciler word their decisions here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from commands.i18n import N_, Translate, translator
from room_policies.conduct import capital
from room_policies.reasons import Place, Why
from room_policies.roles import Decision, Role

__all__ = ["MESSAGES", "decision_reason", "in_languages_line", "place_words"]

MESSAGES: dict[Why, str] = {
    Why.INVITE_ONLY_PLATFORM: N_(
        "Only the platform invites people into {room}, following the working group's roster; ask "
        "the Secretariat to change the roster instead."
    ),
    Why.KNOCK: N_(
        "{room} is invite-only: the platform invites the people the roster places in it, and "
        "nobody knocks."
    ),
    Why.STATE_PLATFORM_ONLY: N_(
        "Only the platform changes the settings of {room} ({event_type}); a room's settings are "
        "the platform's alone."
    ),
    Why.REDACT_IN_PLENARY: N_(
        "Nobody but the platform may remove a message in the plenary: coordination gives no "
        "right to alter what delegations wrote."
    ),
    Why.REDACT_UNREADABLE: N_(
        "The event to remove cannot be read in {room}, so it may not be removed."
    ),
    Why.REDACT_SETTING: N_(
        "Nobody removes a setting of {room}: the room's settings stay as the rules say."
    ),
    Why.REDACT_SETTING_TYPED: N_(
        "Nobody removes a setting of {room} ({event_type}): the room's settings stay as the "
        "rules say."
    ),
    Why.REDACT_DELEGATION: N_(
        "The platform removes only its own messages; it never alters what a delegation wrote "
        "({author})."
    ),
    Why.REDACT_OTHERS: N_(
        "Nobody removes another person's message in {room}, not even a moderator or the "
        "platform: coordination gives no right to alter what others wrote."
    ),
    Why.REDACT_NOT_MEMBER: N_("{user} is not a member of {room}."),
    Why.REDACT_READ_ONLY: N_("{user} reads {room} and writes nothing there."),
    Why.REMOVE_GOVERNOR: N_(
        "The platform's account stays in {room}: without it the room could not be kept as the "
        "rules want."
    ),
    Why.REMOVE_FROM_PLENARY: N_(
        "Only the platform removes people from the plenary, following the roster: coordination "
        "gives no right to remove a delegation."
    ),
    Why.REMOVE_PLATFORM_ONLY: N_(
        "Only the platform, following the roster, removes people from {room}."
    ),
    Why.BAN_PLATFORM_ONLY: N_("Only the platform, following the roster, bans people from {room}."),
    Why.OTHER_DELEGATION: N_(
        "{who} may not be in {room}: experts talk only with their own focal point, and no other "
        "delegation sees or joins a delegation's rooms."
    ),
    Why.FOLDERS_CLOSED: N_(
        "{who} may not be in {room}: experts read the folder rooms only when the roster allows "
        "it (experts_read_folders)."
    ),
    Why.NOT_ON_ROSTER: N_(
        "{who} may not be in {room}: only the people on the working group's roster and the "
        "platform are in its rooms."
    ),
    Why.EXPERT_AT_DELEGATION_LEVEL: N_(
        "{who} may not be in {room}: only a delegation's focal point takes part at the "
        "delegation level for it; experts talk with their own focal point in their experts room."
    ),
    Why.MODERATION_ROOM: N_(
        "{who} may not be in {room}: the moderation room is the Chair's office: only the Chair, "
        "the Secretariat and the platform are in it."
    ),
    Why.SUPPORT_ROOM: N_(
        "{who} may not be in {room}: the Support room is the Technical Secretariat's: requests "
        "reach it through the bot, from a direct room with the bot (!support), and answers go "
        "back the same way."
    ),
    Why.DESK: N_(
        "{who} may not be in {room}: a desk is between a delegation's focal point and the "
        "platform only."
    ),
    Why.EXPERTS_ROOM: N_(
        "{who} may not be in {room}: the Chair and the Secretariat never see an experts room: "
        "experts talk only with their own focal point."
    ),
    Why.BOT_IN_EXPERTS_ROOM: N_(
        "{who} may not be in {room}: the bot never holds the keys of an experts room; the warden "
        "governs it."
    ),
    Why.WARDEN: N_(
        "{who} may not be in {room}: the warden account is used only in experts rooms, where the "
        "bot must not read."
    ),
    Why.GOVERNOR_STATE: N_(
        "the room's {event_type} was changed to something the rules do not give (through the "
        "platform's own account, e.g. a server administrator's tool)"
    ),
}

_PLACES: Mapping[str, str] = {
    "plenary": N_("the plenary"),
    "space": N_("the working group's space"),
    "moderation": N_("the moderation room"),
    "support": N_("the Support room"),
    "folder": N_("the folder room “{name}”"),
    "experts": N_("the experts room of {country}"),
    "desk": N_("the desk of {country}"),
    "this_room": N_("this room"),
}
_FOLDER_KEYS: Mapping[str, str] = {
    "reference": N_("the reference folder room"),
    "supporting": N_("the supporting folder room"),
    "plan": N_("the plan folder room"),
}

_WHO: Mapping[str, str] = {
    Role.CHAIR: N_("{user} (a Chair)"),
    Role.SECRETARIAT: N_("{user} (of the Technical Secretariat)"),
    Role.FOCAL_POINT: N_("{user} (the focal point of {country})"),
    Role.EXPERT: N_("{user} (an expert of {country})"),
    Role.BOT: N_("{user} (the platform's bot)"),
    Role.WARDEN: N_("{user} (the platform's warden account)"),
    Role.OUTSIDER: N_("{user} (not on the working group's roster)"),
}


def place_words(place: Place, _: Translate = str) -> str:
    """How a refusal names a room, e.g. "the experts room of Antigua and Barbuda"."""
    if place.kind == "folder_key":
        return _(_FOLDER_KEYS.get(place.of, _FOLDER_KEYS["reference"]))
    message = _PLACES.get(place.kind, _PLACES["this_room"])
    return _(message).format(name=place.of, country=place.of)


def decision_reason(decision: Decision, _: Translate = str) -> str:
    """The decision's reason in the reader's language (`_`)."""
    if decision.why is None:
        return decision.reason
    facts = decision.params
    words = dict(facts)
    if "room" in facts:
        words["room"] = place_words(Place.of_facts(facts), _)
    if "who_role" in facts:
        words["who"] = _(_WHO.get(facts["who_role"], _WHO[Role.OUTSIDER])).format(
            user=facts.get("user", ""), country=facts.get("who_country", "")
        )
    message = MESSAGES[decision.why]
    text = _(message).format(**words)
    # A sentence (not a clause: those begin in lower case) begins with a capital, whichever
    # phrase a translation puts first (the room's name, in a language that begins with it).
    return text if message[:1].islower() else capital(text)


def in_languages_line(decision: Decision, languages: Sequence[str]) -> str:
    """The reason on one line in each of `languages` (the working languages), separated by " / ":
    a removal's reason, which the room's members read beside the removal."""
    return " / ".join(decision_reason(decision, translator(language)) for language in languages)
