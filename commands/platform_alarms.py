"""The words of the platform's key watch (bot/platform_watch.py): findings and their report.

A finding is one sentence naming the account and what is wrong (a finding about the warden's
keys adds what it means for the experts rooms while it lasts, and what to do); the report adds
what it means for the people who read it (every desk and the moderation room).
"""

from __future__ import annotations

# What the people who read a warden alarm must do while it lasts (what no server can prevent).
_HOLD = "write nothing in an experts room until the Chair confirms that this is resolved."


def _who(account: str, user_id: str) -> str:
    return f"the platform's {account} account ({user_id})"


def extra_device(account: str, user_id: str, device_id: str) -> str:
    return (
        f"{_who(account, user_id).capitalize()} has a session the platform did not make "
        f"({device_id})."
    )


def extra_keys(account: str, user_id: str, device_id: str) -> str:
    return (
        f"{_who(account, user_id).capitalize()} publishes encryption keys for a device the "
        f"platform did not make ({device_id})."
    )


def warden_keys(user_id: str, device_id: str) -> str:
    return (
        f"{_who('warden', user_id).capitalize()} publishes encryption keys ({device_id}); it "
        "must never have any, so that no client encrypts an experts room to it. Element "
        "encrypts experts-room messages to such a session unless it excludes insecure devices: "
        f"{_HOLD}"
    )


def identity_replaced(account: str, user_id: str) -> str:
    finding = (
        f"The cross-signing identity of {_who(account, user_id)} was replaced by one the "
        "platform did not make."
    )
    if account == "warden":
        # Excluding insecure devices, Element encrypts to every device the *current* identity
        # signed: a change of an identity it had only pinned makes it warn, not withhold
        # (tests/integration/test_element_attacks.py).
        finding += (
            " Element encrypts experts-room messages to any session of the warden that this "
            f"identity signed, even when it excludes insecure devices: {_HOLD}"
        )
    return finding


def report(finding: str) -> str:
    return (
        f"Security alert: {finding} Someone with access to the homeserver may be acting as the "
        "platform. Experts rooms stay private only while no client encrypts to such a session: "
        "in Element, do not verify or trust any session of the platform's accounts, and tell "
        "the Chair through the Organization's official channels. The platform reports this "
        "until it is resolved (its health check fails meanwhile)."
    )
