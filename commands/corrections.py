"""The words for a reconcile correction (`room_policies.room_plan.Correction`), as the roster's
people read them: in `!reconcile`'s answer, a roster change's answer and the report of a breach
the enforcer undid (or could not undo).

The room is named as the platform names it (`room_name`), so a delegate recognises it.
"""

from __future__ import annotations

from collections.abc import Sequence

from commands.i18n import N_, Translate
from commands.policy_reasons import decision_reason
from commands.reply import Reply
from room_policies.breaches import Act, Breach
from room_policies.room_plan import Correction, Fix
from room_policies.rooms import RoomRef, room_name
from room_policies.roster import Roster

__all__ = ["REPORT_WITHHELD", "breach_notice", "breach_report", "describe_correction"]

# The audit log's reason when a breach report was not sent (SPEC §2: nothing in plaintext).
REPORT_WITHHELD = (
    "The platform did not send the report: it does not see the room as end-to-end encrypted, "
    "and it sends nothing in plaintext."
)

# What the breach's sender did (`Breach.act`; `target` is the person, setting or author).
_ACTS: dict[Act, str] = {
    Act.INVITED: N_("⚠ In {room}, {sender} invited {target}."),
    Act.JOINED: N_("⚠ In {room}, {sender} joined."),
    Act.REMOVED: N_("⚠ In {room}, {sender} removed {target}."),
    Act.LEFT: N_("⚠ In {room}, {sender} left (the platform's own account)."),
    Act.BANNED: N_("⚠ In {room}, {sender} banned {target}."),
    Act.KNOCKED: N_("⚠ In {room}, {sender} asked to join."),
    Act.CHANGED: N_("⚠ In {room}, {sender} changed {target}."),
    Act.REDACTED_UNREADABLE: N_(
        "⚠ In {room}, {sender} removed an event the platform could not read."
    ),
    Act.REDACTED_SETTING: N_("⚠ In {room}, {sender} removed the room's {target}."),
    Act.REDACTED_OWN: N_("⚠ In {room}, {sender} removed a message."),
    Act.REDACTED_OTHERS: N_("⚠ In {room}, {sender} removed a message by {target}."),
}
_UNCODED_ACT = "⚠ In {room}, {sender} {action}."


def describe_correction(correction: Correction, roster: Roster, _: Translate = str) -> str:
    """One line for the correction, e.g. "Plenary: invite @ag.fp:example.org", in the reader's
    language (`_`). The room's name is the platform's, as it stands in the room list."""
    where = room_name(roster, correction.room)
    target = correction.target
    if correction.fix is Fix.CREATE_ROOM:
        text = _("create the room “{room}”").format(room=where)
    elif correction.fix in (Fix.SET_STATE, Fix.CLEAR_STATE):
        text = _("{room}: set {target}").format(room=where, target=target)
    elif correction.fix is Fix.INVITE:
        text = _("{room}: invite {target}").format(room=where, target=target)
    elif correction.fix is Fix.REMOVE:
        text = _("{room}: remove {target}").format(room=where, target=target)
    elif target:
        text = _(
            "{room}: left alone, because its marker (org.plenaria.room) names another room "
            "({target})"
        ).format(room=where, target=target)
    else:
        text = _(
            "{room}: left alone, because its marker (org.plenaria.room) names another room"
        ).format(room=where)
    if correction.failed:
        return _("{correction} (FAILED: {error})").format(correction=text, error=correction.failed)
    return text


def breach_report(
    roster: Roster,
    ref: RoomRef,
    breach: Breach,
    undone: Sequence[Correction],
    failure: str,
    _: Translate = str,
) -> str:
    """The report of a breach in `ref` (sent where `report_room` says, R38): who did what, the
    rule it broke, and what the platform undid; `failure` is the homeserver's error code when
    the repair failed. Worded for a reader (`_`)."""
    fixed = "; ".join(describe_correction(c, roster, _) for c in undone) or _(
        "nothing left to change"
    )
    if not breach.undoable:
        after = _("This cannot be undone.")
    elif failure:
        after = _(
            "The platform could NOT undo it ({error}): {corrections}. The homeserver's "
            "administrators must enable the plenaria Synapse module, which refuses this "
            "inside the homeserver."
        ).format(error=failure, corrections=fixed)
    else:
        after = _("Undone: {corrections}.").format(corrections=fixed)
    what = _(_ACTS[breach.act]) if breach.act is not None else _UNCODED_ACT
    return _("{what} {reason} ({rule}). {outcome}").format(
        what=what.format(
            room=room_name(roster, ref),
            sender=breach.sender,
            action=breach.action,
            target=breach.target,
        ),
        reason=decision_reason(breach.decision, _),
        rule=breach.decision.rule,
        outcome=after,
    )


def breach_notice(
    roster: Roster,
    ref: RoomRef,
    breach: Breach,
    undone: Sequence[Correction],
    failure: str,
    _: Translate = str,
) -> Reply:
    """`breach_report` as the notice the moderation room (or the desk) reads."""
    return Reply.plain(breach_report(roster, ref, breach, undone, failure, _))
