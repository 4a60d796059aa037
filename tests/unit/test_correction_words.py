"""The words of a reconcile correction (`commands.corrections`), as `!reconcile`, a roster
change's answer and a breach report show them."""

from __future__ import annotations

import dataclasses

from commands.corrections import describe_correction
from room_policies.room_plan import Correction, Fix
from tests.unit.test_breaches import AG_EXPERTS, AG_FP, FOLDER, PLENARY, ROSTER, STRANGER


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
