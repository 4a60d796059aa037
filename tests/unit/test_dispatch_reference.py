"""The reference an asker reads after a fault of the platform is the one the log carries: the
engine's own for a fault of the documents engine (however it was wrapped), else a new one."""

from __future__ import annotations

from bot.sync.dispatch import _reference
from documents.errors import EngineFault


def test_an_engine_fault_keeps_the_engines_reference() -> None:
    assert _reference(EngineFault("ValueError", "revision.py:12", "1a2b3c4d")) == "1a2b3c4d"


def test_a_wrapped_engine_fault_keeps_it_too() -> None:
    try:
        try:
            raise EngineFault("KeyError", None, "cafe0123")
        except EngineFault as fault:
            raise RuntimeError("compiling failed") from fault
    except RuntimeError as wrapped:
        assert _reference(wrapped) == "cafe0123"


def test_any_other_fault_gets_a_new_reference() -> None:
    first, second = _reference(RuntimeError("a")), _reference(RuntimeError("a"))
    assert len(first) == 6 and first != second
