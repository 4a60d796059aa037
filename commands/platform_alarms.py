"""The words of the platform's key watch (bot/platform_watch.py): findings and their report.

A finding is one sentence naming the account and what is wrong (a finding about the warden's
keys adds what it means for the experts rooms while it lasts, and what to do); the report adds
what it means for the people who read it (every desk and the moderation room). Each is worded
for a reader (`_`); in English (the default) it is also what the audit log and `/healthz` say.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.i18n import Translate
from commands.reply import Reply

# A finding, worded for a reader.
Finding = Callable[[Translate], str]


def extra_device(account: str, user_id: str, device_id: str, _: Translate = str) -> str:
    if account == "warden":
        text = _(
            "The platform's warden account ({user}) has a session the platform did not make "
            "({device})."
        )
    else:
        text = _(
            "The platform's bot account ({user}) has a session the platform did not make "
            "({device})."
        )
    return text.format(user=user_id, device=device_id)


def extra_keys(account: str, user_id: str, device_id: str, _: Translate = str) -> str:
    if account == "warden":
        text = _(
            "The platform's warden account ({user}) publishes encryption keys for a device "
            "the platform did not make ({device})."
        )
    else:
        text = _(
            "The platform's bot account ({user}) publishes encryption keys for a device "
            "the platform did not make ({device})."
        )
    return text.format(user=user_id, device=device_id)


def warden_keys(user_id: str, device_id: str, _: Translate = str) -> str:
    # What the people who read a warden alarm must do while it lasts (what no server can
    # prevent) closes the finding.
    finding = _(
        "The platform's warden account ({user}) publishes encryption keys ({device}); it must "
        "never have any, so that no client encrypts an experts room to it. Element encrypts "
        "experts-room messages to such a session unless it excludes insecure devices: write "
        "nothing in an experts room until the Chair confirms that this is resolved."
    ).format(user=user_id, device=device_id)
    return finding


def identity_replaced(account: str, user_id: str, _: Translate = str) -> str:
    if account != "warden":
        return _(
            "The cross-signing identity of the platform's bot account ({user}) was replaced by "
            "one the platform did not make."
        ).format(user=user_id)
    # Excluding insecure devices, Element encrypts to every device the *current* identity
    # signed: a change of an identity it had only pinned makes it warn, not withhold
    # (tests/integration/test_element_attacks.py).
    finding = _(
        "The cross-signing identity of the platform's warden account ({user}) was replaced by "
        "one the platform did not make. Element encrypts experts-room messages to any session "
        "of the warden that this identity signed, even when it excludes insecure devices: write "
        "nothing in an experts room until the Chair confirms that this is resolved."
    ).format(user=user_id)
    return finding


def report(finding: Finding, _: Translate = str) -> Reply:
    return Reply.plain(
        _(
            "Security alert: {finding} Someone with access to the homeserver may be acting as the "
            "platform. Experts rooms stay private only while no client encrypts to such a "
            "session: in Element, do not verify or trust any session of the platform's accounts, "
            "and tell the Chair through the Organization's official channels. The platform "
            "reports this until it is resolved (its health check fails meanwhile)."
        ).format(finding=finding(_))
    )
