"""The platform's own sessions: who may sign in as the platform's accounts, and which sessions
may act for them in its rooms (SPEC §2, "The server operator").

The Secretariat runs the homeserver, so its administrator can reset the bot's or the warden's
password and sign in, or mint an access token for either through Synapse's admin API
(`/_synapse/admin/v1/users/<user>/login`, a token without a device). Either would be a second
session of an account that governs rooms: a device that members' clients encrypt to, or a way to
write a room's rules. The Synapse module refuses both, with these two rules; `synapse_module`
reads the accounts' devices and each event's device, and asks.

R36  In a governed room, the platform's accounts (the account that wrote the room's marker, and
     the bot and the warden named in the module's config) act only from a session with a
     device: an event they send without one (a token minted by the admin API) is refused (§2:
     "governed state written from a session without a device (a token minted by the admin API)
     is refused by the module").
R37  The platform's accounts sign in once (§2: the warden "cannot sign in again"; issue #9: "the
     platform's own accounts get no second session"). A sign-in as the bot or the warden is
     refused once the account has any device, except the platform's own sign-in again as one of
     the account's devices that no longer holds a session (after its access token was revoked,
     `Gateway.start` signs in again as the same device, so its end-to-end keys stay valid). A
     device that still holds a session is in use: signing in as it would be a second session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from room_policies.roles import Decision

__all__ = ["may_act_without_a_device", "may_sign_in"]


def may_sign_in(
    user: str,
    device_id: str | None,
    devices: Mapping[str, bool],
    platform_accounts: Collection[str],
) -> Decision:
    """May `user` sign in (as `device_id`, None for a new device)? `devices` maps each of the
    account's devices to whether it holds a session (a live access token). R37."""
    if user not in platform_accounts:
        return Decision(True, "Only the platform's own accounts are limited to one session.", "R37")
    if not devices:
        return Decision(True, "The platform signs in to its account for the first time.", "R37")
    if device_id is not None and device_id in devices and not devices[device_id]:
        return Decision(
            True, "The platform signs in again as its own device, whose session ended.", "R37"
        )
    if device_id is not None and device_id in devices:
        return Decision(
            False,
            f"{user} is one of the platform's own accounts and its device {device_id} is "
            "signed in already: nobody else signs in as it.",
            "R37",
        )
    return Decision(
        False,
        f"{user} is one of the platform's own accounts and is signed in already: it has no "
        "second session, so that no other device can read or act in its name.",
        "R37",
    )


def may_act_without_a_device(sender: str, governing_accounts: Collection[str]) -> Decision:
    """May `sender` act in a governed room from a session without a device? R36."""
    if sender in governing_accounts:
        return Decision(
            False,
            f"{sender} is one of the platform's own accounts, which act in the working group's "
            "rooms only from the platform's own session; this session has no device (a token "
            "made through the homeserver's admin API), so it may not act for the platform.",
            "R36",
        )
    return Decision(True, "People act from whichever session they sign in with.", "R36")
