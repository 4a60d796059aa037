"""The words for a reconcile correction (`room_policies.room_plan.Correction`), as the roster's
people read them: in `!reconcile`'s answer, a roster change's answer and a breach report.

The room is named as the platform names it (`room_name`), so a delegate recognises it.
"""

from __future__ import annotations

from room_policies.room_plan import Correction, Fix
from room_policies.rooms import room_name
from room_policies.roster import Roster

__all__ = ["describe_correction"]


def describe_correction(correction: Correction, roster: Roster) -> str:
    """One line for the correction, e.g. "Plenary: invite @ag.fp:example.org"."""
    where = room_name(roster, correction.room)
    target = correction.target
    if correction.fix is Fix.CREATE_ROOM:
        text = f"create the room “{where}”"
    elif correction.fix in (Fix.SET_STATE, Fix.CLEAR_STATE):
        text = f"{where}: set {target}"
    elif correction.fix is Fix.INVITE:
        text = f"{where}: invite {target}"
    elif correction.fix is Fix.REMOVE:
        text = f"{where}: remove {target}"
    else:
        named = f" ({target})" if target else ""
        text = (
            f"{where}: left alone, because its marker (org.plenaria.room) names another room{named}"
        )
    return f"{text} (FAILED: {correction.failed})" if correction.failed else text
