"""`!trust [@user FINGERPRINT]`: the Chair re-trusts a person whose identity changed (T5).

The platform acts only on messages from a device cross-signed by the identity it pinned for the
sender at first sight (room_policies.trust). When a person's identity changes — they reset it in
Element, or the server's operator made a new one with a reset password — the platform refuses
their commands and proposals and tells the moderation room and the person's desk. A Chair then
confirms with the delegation, through the Organization's official channels (a call to the
permanent mission, an official e-mail), that the person reset their identity themselves and that
the fingerprint the moderation room shows is the one their Element shows, and re-trusts it.
The Technical Secretariat may not: it runs the homeserver, and the operator alone must never be
able to complete a re-trust. A Chair cannot re-trust themselves.

Every sentence the platform says about trust is worded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import Field

from commands.dates import when
from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation, Refusal
from room_policies.trust import Identity, Trust, TrustVerdict, fingerprint

SUMMARY = N_("re-trust a person whose identity changed, once confirmed with their delegation")


class Args(BaseArgs):
    positional = ("user", "fingerprint")
    user: str | None = Field(default=None, description=N_("the person (@user:server)"))
    fingerprint: str | None = Field(
        default=None,
        description=N_("the new identity's fingerprint, as the moderation room shows it"),
    )


class ChangedIdentity(Protocol):
    @property
    def user_id(self) -> str: ...

    @property
    def changed(self) -> Identity | None: ...

    @property
    def changed_at(self) -> datetime | None: ...


class Deps(Protocol):
    async def changed_identities(self) -> Sequence[ChangedIdentity]: ...

    async def retrust(self, chair: str, user_id: str, fingerprint_given: str) -> object: ...


class RetrustRefused(Exception):
    """Why a re-trust is refused: a catalog message and the person it is about; `reason` is the
    English sentence, `worded(_)` the reader's."""

    def __init__(self, message: str, user: str = "") -> None:
        self.message, self.user = message, user
        self.reason = message.format(user=user)
        super().__init__(self.reason)

    def worded(self, _: Translate = str) -> str:
        return _(self.message).format(user=self.user)


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    if args.user is None:
        changed = await deps.changed_identities()
        if not changed:
            return Reply.plain(_("No identity is awaiting re-trust."))
        lines = [
            _("{user}: new identity {fingerprint}, seen {when}").format(
                user=c.user_id,
                fingerprint=_fp(c.changed, _),
                when=when(c.changed_at, invocation.language, invocation.timezone),
            )
            if c.changed_at
            else _("{user}: new identity {fingerprint}").format(
                user=c.user_id, fingerprint=_fp(c.changed, _)
            )
            for c in changed
        ]
        return Reply.titled(
            _("Identities awaiting re-trust (confirm each with the delegation first):"), lines
        )
    if args.fingerprint is None:
        return Reply.plain(
            _(
                "Refused: give the fingerprint you confirmed with the person, as in "
                "!trust {user} FINGERPRINT (!trust alone lists them)."
            ).format(user=args.user)
        )
    try:
        await deps.retrust(invocation.sender, args.user, args.fingerprint)
    except RetrustRefused as exc:
        return Reply.plain(_("Refused: {reason}").format(reason=exc.worded(_)))
    return Reply.plain(
        _(
            "{user} is trusted again with the identity {fingerprint}; the platform acts on "
            "their commands and proposals from now on."
        ).format(user=args.user, fingerprint=_normal(args.fingerprint))
    )


def _fp(identity: Identity | None, _: Translate = str) -> str:
    if identity is None or not identity.master:
        return _("(none: cross-signing was removed)")
    return fingerprint(identity.master)


def _normal(given: str) -> str:
    return given.strip()


def fingerprint_matches(master: str, given: str) -> bool:
    """The Chair typed the fingerprint (with or without dashes) of this master key."""
    typed = given.replace("-", "").replace(" ", "")
    return len(typed) >= 8 and master.startswith(typed)


# -- refusals of a message the platform cannot attribute (T1–T5) -------------------------------


class TrustRefusal(Refusal):
    """The platform does not act on a message it cannot attribute (T1–T5): `reason` in English
    for the audit log, the reply in the sender's language."""

    def __init__(self, verdict: TrustVerdict) -> None:
        self.verdict = verdict
        super().__init__(refusal(verdict))

    def reply(self, _: Translate = str) -> Reply:
        return Reply.plain(_("Refused: {reason}").format(reason=refusal(self.verdict, _)))


def refusal(verdict: TrustVerdict, _: Translate = str) -> str:
    """Why the platform does not act on this message, and what to do, in one or two sentences."""
    if verdict.trust is Trust.UNENCRYPTED:
        return _(
            "this message was not end-to-end encrypted, so the platform cannot tell that it "
            "comes from you; send it again from Element, in this encrypted room."
        )
    if verdict.trust is Trust.UNKNOWN_DEVICE:
        return _(
            "the platform cannot tell which of your sessions sent this message; wait a moment "
            "and send it again from a session you have verified."
        )
    if verdict.trust is Trust.NO_IDENTITY:
        return _(
            "your account has no cross-signing identity yet, so the platform cannot tell your "
            "sessions from anyone else's; set up secure backup / cross-signing in Element "
            "(Settings → Security & Privacy), then send it again."
        )
    if verdict.trust is Trust.UNSIGNED_DEVICE:
        unsigned = _(
            "the session you sent this from ({device}) is not verified; verify it "
            "from another of your sessions or with your security key (Element: Settings → "
            "Sessions → Verify session), then send it again."
        ).format(device=verdict.device_id)
        later = _(
            "Once it is verified, !get and a document's name sends you that document again, "
            "readable on this session."
        )
        return f"{unsigned} {later}"
    return _(
        "your cryptographic identity changed since the platform first saw you, so it does not "
        "act on your commands or proposals until the Chair re-trusts you; the Chair will "
        "confirm the change with your delegation through the Organization's official channels."
    )


def identity_changed_chair(user_id: str, current: Identity | None, _: Translate = str) -> Reply:
    """For the moderation room, when a person's cross-signing identity changed."""
    if current is None:
        text = _(
            "Identity change: {user} now has no cross-signing identity at all. Until a Chair "
            "re-trusts it, the platform does not act on their commands or proposals. If they "
            "did not reset it themselves, their account may be in someone else's hands. Confirm "
            "with their delegation through the Organization's official channels (not through "
            "this platform), compare the fingerprint, then: !trust {user} FINGERPRINT"
        )
    else:
        text = _(
            "Identity change: {user} now shows a new identity, fingerprint {fingerprint}. Until "
            "a Chair re-trusts it, the platform does not act on their commands or proposals. If "
            "they did not reset it themselves, their account may be in someone else's hands. "
            "Confirm with their delegation through the Organization's official channels (not "
            "through this platform), compare the fingerprint, then: !trust {user} FINGERPRINT"
        )
    fp = fingerprint(current.master) if current is not None else ""
    return Reply.plain(text.format(user=user_id, fingerprint=fp))


def identity_changed_person(_: Translate = str) -> Reply:
    """For the person whose identity changed, in their language."""
    return Reply.plain(
        _(
            "Your cryptographic identity changed (a new cross-signing key was set up for your "
            "account). Until the Chair confirms this with your delegation and re-trusts you, the "
            "platform does not act on your commands or proposals. If you did not do this, tell "
            "the Chair at once through the Organization's official channels: someone else may "
            "hold your account."
        )
    )


def retrusted_person(chair: str, _: Translate = str) -> Reply:
    """For the person a Chair re-trusted, in their language."""
    return Reply.plain(
        _(
            "{chair} re-trusted your new identity: the platform acts on your commands and "
            "proposals again."
        ).format(chair=chair)
    )


def nothing_to_retrust(user_id: str) -> RetrustRefused:
    return RetrustRefused(N_("{user} has no identity change awaiting re-trust."), user_id)


def not_yourself() -> RetrustRefused:
    return RetrustRefused(N_("a Chair cannot re-trust their own identity; another Chair must."))


def identity_moved(user_id: str) -> RetrustRefused:
    return RetrustRefused(
        N_(
            "the identity of {user} changed again since it was reported; confirm the new "
            "fingerprint (!trust lists it) with the delegation first."
        ),
        user_id,
    )


def fingerprint_mismatch(user_id: str) -> RetrustRefused:
    return RetrustRefused(
        N_(
            "that fingerprint is not the one {user}'s keys show now; confirm it again with the "
            "delegation (!trust lists the fingerprint the platform sees)."
        ),
        user_id,
    )
