"""The words of a reconcile correction and of a breach report (`commands.corrections`), as
`!reconcile`, a roster change's answer and the moderation room (or a desk) show them."""

from __future__ import annotations

import dataclasses

from commands.corrections import breach_report, describe_correction
from room_policies.room_plan import Correction, Fix
from tests.unit.test_breaches import (
    AG_EXPERTS,
    AG_FP,
    BR_FP,
    CHAIR,
    FOLDER,
    PLENARY,
    ROSTER,
    STRANGER,
    breach,
    member,
)


def test_each_correction_in_words() -> None:
    words = {
        Correction(AG_EXPERTS, Fix.CREATE_ROOM, AG_EXPERTS.key): (
            "create the room “Experts — Antigua and Barbuda”"
        ),
        Correction(PLENARY, Fix.SET_STATE, "m.room.power_levels"): (
            "Plenary: set m.room.power_levels"
        ),
        Correction(PLENARY, Fix.CLEAR_STATE, "m.room.avatar"): "Plenary: set m.room.avatar",
        Correction(PLENARY, Fix.INVITE, AG_FP): f"Plenary: invite {AG_FP}",
        Correction(PLENARY, Fix.REMOVE, STRANGER, reason="not on the roster"): (
            f"Plenary: remove {STRANGER}"
        ),
        Correction(PLENARY, Fix.WRONG_MARKER, FOLDER.key): (
            "Plenary: left alone, because its marker (org.plenaria.room) names another room "
            "(folder:plan)"
        ),
    }
    for correction, text in words.items():
        assert describe_correction(correction, ROSTER) == text


def test_a_failed_correction_says_so_with_the_homeservers_code() -> None:
    invite = Correction(PLENARY, Fix.INVITE, AG_FP)
    failed = dataclasses.replace(invite, failed="M_FORBIDDEN")
    assert describe_correction(failed, ROSTER) == f"Plenary: invite {AG_FP} (FAILED: M_FORBIDDEN)"


def test_a_breach_report_says_who_did_what_which_rule_and_what_was_undone() -> None:
    removal = breach(PLENARY, member(CHAIR, BR_FP, "leave"))
    invite_back = Correction(PLENARY, Fix.INVITE, BR_FP)
    opening = f"⚠ In Plenary, {CHAIR} removed {BR_FP}. {removal.decision.reason} (R21). "
    assert breach_report(ROSTER, PLENARY, removal, [invite_back], "") == (
        f"{opening}Undone: Plenary: invite {BR_FP}."
    )
    failed = dataclasses.replace(invite_back, failed="M_FORBIDDEN")
    assert breach_report(ROSTER, PLENARY, removal, [failed], "M_FORBIDDEN") == (
        f"{opening}The platform could NOT undo it (M_FORBIDDEN): Plenary: invite {BR_FP} "
        "(FAILED: M_FORBIDDEN). The homeserver's administrators must enable the plenaria "
        "Synapse module, which refuses this inside the homeserver."
    )
    assert breach_report(ROSTER, PLENARY, removal, [], "").endswith(
        "Undone: nothing left to change."
    )
    lasting = dataclasses.replace(removal, undoable=False)
    assert breach_report(ROSTER, PLENARY, lasting, [], "").endswith("This cannot be undone.")
