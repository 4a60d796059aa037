"""The rules enforced inside the homeserver: a Synapse module (SPEC §2, "Prevent").

Enable it in `homeserver.yaml`:

    modules:
      - module: room_policies.synapse_module.RoomPolicyModule
        config: {}

Synapse asks `check_event_allowed` about every event its own users create, before its own
authorisation and whoever asks (a client, or an admin API acting through a room's account).
The module hands the event and the room's marker and members list to `event_rules.judge`;
a refusal reaches the client as a 403 `M_FORBIDDEN` carrying the rule's reason. Rooms without
a marker are left alone. If judging a governed room fails unexpectedly, the event is refused
(R29: a governed room fails closed).

This is the one module of the package that imports Synapse; Synapse loads it from its own
environment. It logs refusals (room, event type, sender, rule), never what an event says.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from synapse.api.errors import Codes, SynapseError
from synapse.events import EventBase
from synapse.module_api import ModuleApi

from room_policies.event_rules import STATE_READ, EventView, judge
from room_policies.membership import Decision
from room_policies.rooms import MARKER_EVENT_TYPE

__all__ = ["RoomPolicyModule"]

logger = logging.getLogger(__name__)

_UNEXPECTED = Decision(
    False,
    "The platform's rules for this room could not be checked just now, so the change was "
    "refused; try again, or ask the Technical Secretariat.",
    "R29",
)


class RoomPolicyModule:
    """Refuses, inside Synapse, the events that break the rules a governed room publishes."""

    def __init__(self, config: Mapping[str, Any], api: ModuleApi) -> None:
        self._config = config
        self._api = api
        api.register_third_party_rules_callbacks(check_event_allowed=self.check_event_allowed)

    @staticmethod
    def parse_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
        """The module takes no settings yet; `config: {}` (or none) is the only valid one."""
        if config is None:
            return {}
        if not isinstance(config, Mapping):
            raise ValueError("room_policies.synapse_module: config must be a mapping ({})")
        if config:
            unknown = ", ".join(sorted(map(str, config)))
            raise ValueError(f"room_policies.synapse_module: unknown config keys: {unknown}")
        return {}

    async def check_event_allowed(
        self, event: EventBase, state_events: Mapping[tuple[str, str], EventBase]
    ) -> tuple[bool, dict[str, Any] | None]:
        """Synapse's `check_event_allowed` callback: allow, or raise a 403 with the reason."""
        if (MARKER_EVENT_TYPE, "") not in state_events:
            return True, None  # not a governed room (or one still being created)
        try:
            decision = judge(
                _view(event),
                {key: _view(state_events[key]) for key in STATE_READ if key in state_events},
            )
        except Exception as error:
            # R29: a governed room fails closed. The log names the failure and where it happened,
            # not its message, which may quote the event's content (a delegation's words).
            where = traceback.extract_tb(error.__traceback__)[-1]
            logger.error(
                "refusing %s from %s in %s: the rules could not be checked (%s at %s:%d)",
                _type(event),
                _sender(event),
                _room(event),
                type(error).__name__,
                where.filename,
                where.lineno or 0,
            )
            decision = _UNEXPECTED
        if decision is None or decision.allowed:
            return True, None
        logger.info(
            "refused %s from %s in %s (%s)",
            _type(event),
            _sender(event),
            _room(event),
            decision.rule,
        )
        raise SynapseError(403, decision.reason, Codes.FORBIDDEN)


def _view(event: EventBase) -> EventView:
    return EventView(
        type=str(event.type),
        state_key=event.get_state_key(),
        sender=str(event.sender),
        content=dict(event.content),
    )


# Safe to call on anything, for the log lines of the catch-all.
def _type(event: Any) -> str:
    return str(getattr(event, "type", "?"))


def _sender(event: Any) -> str:
    return str(getattr(event, "sender", "?"))


def _room(event: Any) -> str:
    return str(getattr(event, "room_id", "?"))
