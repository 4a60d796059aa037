"""The rules enforced inside the homeserver: a Synapse module (SPEC §2, "Prevent").

Enable it in `homeserver.yaml`, naming the platform's two accounts:

    modules:
      - module: room_policies.synapse_module.RoomPolicyModule
        config:
          bot: "@plenaria:example.org"
          warden: "@plenaria-warden:example.org"

`config: {}` stays valid, but then nobody's sign-in is guarded (a warning says so at start).

Synapse asks `check_event_allowed` about every event its own users create, before its own
authorisation and whoever asks (a client, or an admin API acting through a room's account).
The module hands the event, the device of the session that sent it and, for a redaction, the
event it removes (read from Synapse's store) and the room's marker and members list to
`event_rules.judge`; a refusal reaches the client as a 403 `M_FORBIDDEN` carrying the rule's
reason. Rooms without a marker are left alone. If judging a governed room fails unexpectedly,
the event is refused (R29: a governed room fails closed).

Synapse asks `check_login_for_spam` about every sign-in (password or token, not the admin API's
minted tokens, which have no device and are refused by `judge` in governed rooms, R36); the
module reads the account's devices, and which of them hold a session, from Synapse's store and
asks `sessions.may_sign_in` (R37). A refusal is a 403 `M_FORBIDDEN` whose body carries the
reason as `org.plenaria.reason`.

This is the one module of the package that imports Synapse; Synapse loads it from its own
environment. It logs refusals (room, event type, sender, rule; account and rule for a
sign-in), never what an event says.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from synapse.api.errors import Codes, SynapseError
from synapse.events import EventBase
from synapse.module_api import ModuleApi

from room_policies.event_rules import STATE_READ, EventView, Redacted, judge
from room_policies.roles import Decision
from room_policies.rooms import MARKER_EVENT_TYPE
from room_policies.sessions import may_sign_in

__all__ = ["RoomPolicyModule"]

logger = logging.getLogger(__name__)

_UNEXPECTED = Decision(
    False,
    "The platform's rules for this room could not be checked just now, so the change was "
    "refused; try again, or ask the Technical Secretariat.",
    "R29",
)
_UNEXPECTED_SIGN_IN = Decision(
    False,
    "The platform's rules for its own accounts could not be checked just now, so the sign-in "
    "was refused; try again, or ask the Technical Secretariat.",
    "R37",
)


_USER_ID = re.compile(r"@[^:\s]+:\S+")
_ACCOUNT_KEYS = ("bot", "warden")


@dataclass(frozen=True)
class ModuleConfig:
    """The module's settings: the platform's own accounts, when named (SPEC §7)."""

    bot: str | None = None
    warden: str | None = None

    @property
    def platform_accounts(self) -> frozenset[str]:
        return frozenset(a for a in (self.bot, self.warden) if a is not None)


class RoomPolicyModule:
    """Refuses, inside Synapse, the events that break the rules a governed room publishes, and
    second sessions of the platform's own accounts."""

    def __init__(self, config: ModuleConfig, api: ModuleApi) -> None:
        self._config = config
        self._accounts = config.platform_accounts
        self._api = api
        api.register_third_party_rules_callbacks(check_event_allowed=self.check_event_allowed)
        api.register_spam_checker_callbacks(check_login_for_spam=self.check_login_for_spam)
        unnamed = [key for key in _ACCOUNT_KEYS if getattr(config, key) is None]
        if unnamed:
            logger.warning(
                "room_policies.synapse_module: sign-ins as the platform's %s are not guarded "
                "(R37); add %s to the module's config",
                " and ".join(unnamed),
                ", ".join(f"{key}: <user id>" for key in unnamed),
            )

    @staticmethod
    def parse_config(config: Mapping[str, Any] | None) -> ModuleConfig:
        """`bot` and `warden`, the platform's user ids, both optional; `config: {}` is valid."""
        if config is None:
            return ModuleConfig()
        if not isinstance(config, Mapping):
            raise ValueError("room_policies.synapse_module: config must be a mapping ({})")
        unknown = sorted(map(str, set(config) - set(_ACCOUNT_KEYS)))
        if unknown:
            raise ValueError(
                f"room_policies.synapse_module: unknown config keys: {', '.join(unknown)}"
            )
        for key in _ACCOUNT_KEYS:
            value = config.get(key)
            if value is not None and (not isinstance(value, str) or not _USER_ID.fullmatch(value)):
                raise ValueError(
                    f"room_policies.synapse_module: {key} must be a user id such as "
                    f'"@plenaria:example.org"'
                )
        if config.get("bot") is not None and config.get("bot") == config.get("warden"):
            raise ValueError("room_policies.synapse_module: bot and warden must be two accounts")
        return ModuleConfig(bot=config.get("bot"), warden=config.get("warden"))

    async def check_event_allowed(
        self, event: EventBase, state_events: Mapping[tuple[str, str], EventBase]
    ) -> tuple[bool, dict[str, Any] | None]:
        """Synapse's `check_event_allowed` callback: allow, or raise a 403 with the reason."""
        if (MARKER_EVENT_TYPE, "") not in state_events:
            return True, None  # not a governed room (or one still being created)
        try:
            redacted = await self._redacted(event) if event.type == "m.room.redaction" else None
            decision = judge(
                _view(event, redacted),
                {key: _view(state_events[key]) for key in STATE_READ if key in state_events},
                self._accounts,
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

    async def _redacted(self, event: EventBase) -> Redacted | None:
        """The event a redaction removes, from Synapse's store; None if it cannot be read (in
        another room, rejected, unknown)."""
        target = event.redacts
        if not isinstance(target, str):
            return None
        found = await self._api._store.get_event(
            target, allow_none=True, check_room_id=str(event.room_id)
        )
        if found is None:
            return None
        return Redacted(str(found.type), found.get_state_key(), str(found.sender))

    async def check_login_for_spam(
        self,
        user_id: str,
        device_id: str | None,
        initial_display_name: str | None,
        request_info: Collection[tuple[str | None, str]],
        auth_provider_id: str | None = None,
    ) -> Literal["NOT_SPAM"] | tuple[Codes, dict[str, Any]]:
        """Synapse's `check_login_for_spam` callback (R37): the platform's accounts sign in once."""
        if user_id not in self._accounts:
            return "NOT_SPAM"
        try:
            decision = may_sign_in(user_id, device_id, await self._devices(user_id), self._accounts)
        except Exception as error:
            # Fail closed: the platform's own sign-in is retried; a second session is not made.
            logger.error(
                "refusing the sign-in of %s: its devices could not be read (%s)",
                user_id,
                type(error).__name__,
            )
            decision = _UNEXPECTED_SIGN_IN
        if decision.allowed:
            return "NOT_SPAM"
        logger.warning("refused the sign-in of %s (%s)", user_id, decision.rule)
        return Codes.FORBIDDEN, {
            "org.plenaria.reason": decision.reason,
            "org.plenaria.rule": decision.rule,
        }

    async def _devices(self, user_id: str) -> dict[str, bool]:
        """The account's devices, each with whether it holds a session (an access token)."""
        store = self._api._store
        devices = await store.get_devices_by_user(user_id)
        tokens = await store.db_pool.simple_select_list(
            table="access_tokens",
            keyvalues={"user_id": user_id},
            retcols=("device_id",),
            desc="plenaria_signed_in_devices",
        )
        signed_in = {str(row[0]) for row in tokens if row[0] is not None}
        return {str(device): device in signed_in for device in devices}


def _view(event: EventBase, redacted: Redacted | None = None) -> EventView:
    # Synapse sets `device_id` for a session with a device and leaves it unset otherwise (a
    # token minted by the admin API, or an event Synapse makes on a user's behalf).
    device_id = getattr(event.internal_metadata, "device_id", None)
    return EventView(
        type=str(event.type),
        state_key=event.get_state_key(),
        sender=str(event.sender),
        content=dict(event.content),
        device_id=str(device_id) if device_id is not None else None,
        redacted=redacted,
    )


# Safe to call on anything, for the log lines of the catch-all.
def _type(event: Any) -> str:
    return str(getattr(event, "type", "?"))


def _sender(event: Any) -> str:
    return str(getattr(event, "sender", "?"))


def _room(event: Any) -> str:
    return str(getattr(event, "room_id", "?"))
