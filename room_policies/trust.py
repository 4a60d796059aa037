"""Whom the platform believes: identities pinned at first sight, devices their owners signed.

The Secretariat runs the homeserver, so anything the server says about who sent a message can be
forged by its operator: an admin-minted token sends in anyone's name, a reset password lets the
operator make a new device and a new cross-signing identity for anyone (SPEC §2, "The server
operator"). What the operator cannot forge is a signature by a private key that never left the
person's own devices. So the platform acts on a message only when (T1–T5):

T1  it arrived end-to-end encrypted: a plaintext event in an encrypted room can come from any
    token, device or none;
T2  its megolm session came straight from the sending device over Olm (not forwarded), so the
    sending device's Curve25519 key is known, and that key belongs to a device the sender's keys
    list;
T3  that device is signed by the sender's self-signing key, which is signed by the sender's
    master key (the device is "cross-signed by its owner", as Element's "exclude insecure
    devices" mode asks);
T4  that master key is the one the platform pinned the first time it saw the person (trust on
    first use): a new master key is a new identity, which the operator can make;
T5  a pinned identity that changed stays refused until a Chair re-trusts it, after confirming
    with the person through the Organization's own channels (the operator alone cannot: the
    Technical Secretariat is the operator, so re-trust is the Chair's, never the Secretariat's).

A new device that the person cross-signs with the identity they already have (Element's usual
"verify this session") needs nothing from anyone: it is signed by the pinned keys.

Everything here is pure: the shell fetches `/keys/query` and the pinned identity, this module
checks signatures (signedjson) and decides.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json

__all__ = [
    "Identity",
    "SenderProof",
    "Trust",
    "TrustVerdict",
    "fingerprint",
    "identity_of",
    "judge_sender",
    "signed_devices",
]


@dataclass(frozen=True)
class Identity:
    """A person's cross-signing identity: their master and self-signing public keys (base64)."""

    master: str
    self_signing: str


@dataclass(frozen=True)
class SenderProof:
    """What the bot's crypto knows of how a message reached it (None/False for plaintext)."""

    encrypted: bool
    sender_key: str | None = None  # Curve25519 key of the device that made the megolm session
    session_ed25519: str | None = None  # the Ed25519 key that device claimed for the session
    forwarded: bool = False  # the session key came from someone other than its creator


class Trust(StrEnum):
    TRUSTED = "trusted"
    UNENCRYPTED = "unencrypted"  # T1
    UNKNOWN_DEVICE = "unknown_device"  # T2
    UNSIGNED_DEVICE = "unsigned_device"  # T3
    NO_IDENTITY = "no_identity"  # T3: the person never set up cross-signing
    IDENTITY_CHANGED = "identity_changed"  # T4, T5


@dataclass(frozen=True)
class TrustVerdict:
    trust: Trust
    rule: str
    device_id: str | None = None
    # The identity the keys show now: to pin at first sight, or the new one after a change.
    current: Identity | None = None
    # TOFU: nothing was pinned for this person yet, and this identity should be.
    pin: bool = False

    @property
    def allowed(self) -> bool:
        return self.trust is Trust.TRUSTED


def fingerprint(key: str) -> str:
    """A short, copyable form of a public key: its first 16 base64 characters, in 4 groups."""
    head = key[:16]
    return "-".join(head[i : i + 4] for i in range(0, len(head), 4))


def _verify_key(public: str, key_id: str) -> Any:
    padded = public + "=" * (-len(public) % 4)
    raw = base64.b64decode(padded)
    return decode_verify_key_bytes(f"ed25519:{key_id}", raw)


def _only_key(obj: Mapping[str, Any]) -> str | None:
    keys = obj.get("keys")
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return None
    ((key_id, public),) = keys.items()
    if (
        not isinstance(key_id, str)
        or not key_id.startswith("ed25519:")
        or not isinstance(public, str)
    ):
        return None
    return public


def _signed(obj: Mapping[str, Any], user_id: str, public: str) -> bool:
    """Is `obj` signed by `user_id`'s Ed25519 key `public` (whose key id is the key itself)?"""
    key_id = f"ed25519:{public}"
    if key_id not in (obj.get("signatures") or {}).get(user_id, {}):
        return False
    try:
        verify_signed_json(dict(obj), user_id, _verify_key(public, public))
    except (SignatureVerifyException, ValueError, TypeError):
        return False
    return True


def identity_of(user_id: str, keys: Mapping[str, Any]) -> Identity | None:
    """The identity a `/keys/query` answer shows for `user_id`, if its self-signing key is
    properly signed by its master key; None when the person has no (valid) cross-signing."""
    master_obj = (keys.get("master_keys") or {}).get(user_id)
    ssk_obj = (keys.get("self_signing_keys") or {}).get(user_id)
    if not isinstance(master_obj, Mapping) or not isinstance(ssk_obj, Mapping):
        return None
    if master_obj.get("user_id") != user_id or "master" not in (master_obj.get("usage") or []):
        return None
    if ssk_obj.get("user_id") != user_id or "self_signing" not in (ssk_obj.get("usage") or []):
        return None
    master, ssk = _only_key(master_obj), _only_key(ssk_obj)
    if master is None or ssk is None or not _signed(ssk_obj, user_id, master):
        return None
    return Identity(master, ssk)


def _device_signed(user_id: str, device_id: str, device: Mapping[str, Any], ssk: str) -> bool:
    """A device is its owner's when its keys are signed by the device itself and by `ssk`."""
    if device.get("user_id") != user_id or device.get("device_id") != device_id:
        return False
    own = (device.get("keys") or {}).get(f"ed25519:{device_id}")
    if not isinstance(own, str):
        return False
    unsigned = {k: v for k, v in device.items() if k != "unsigned"}
    try:
        verify_signed_json(unsigned, user_id, _verify_key(own, device_id))
    except (SignatureVerifyException, ValueError, TypeError):
        return False
    return _signed(unsigned, user_id, ssk)


def signed_devices(user_id: str, keys: Mapping[str, Any], identity: Identity) -> set[str]:
    """The ids of `user_id`'s devices that `identity` signed (T3)."""
    devices = (keys.get("device_keys") or {}).get(user_id) or {}
    return {
        device_id
        for device_id, device in devices.items()
        if isinstance(device, Mapping)
        and _device_signed(user_id, device_id, device, identity.self_signing)
    }


def judge_sender(
    user_id: str,
    proof: SenderProof,
    keys: Mapping[str, Any],
    pinned: Identity | None,
) -> TrustVerdict:
    """May the platform act on a message `user_id` sent with `proof`, given their published
    `keys` (a `/keys/query` answer) and the identity pinned for them (None: first sight)?"""
    if not proof.encrypted or proof.sender_key is None:
        return TrustVerdict(Trust.UNENCRYPTED, "T1")
    devices = (keys.get("device_keys") or {}).get(user_id) or {}
    device_id: str | None = None
    for candidate, device in devices.items():
        if not isinstance(device, Mapping):
            continue
        device_keys = device.get("keys") or {}
        if device_keys.get(f"curve25519:{candidate}") == proof.sender_key:
            device_id = str(candidate)
            if (
                proof.forwarded
                or proof.session_ed25519 is None
                or device_keys.get(f"ed25519:{candidate}") != proof.session_ed25519
            ):
                return TrustVerdict(Trust.UNKNOWN_DEVICE, "T2", device_id)
            break
    if device_id is None:
        return TrustVerdict(Trust.UNKNOWN_DEVICE, "T2")
    current = identity_of(user_id, keys)
    if pinned is not None and current != pinned:
        # T4/T5: the person's identity is not the one the platform pinned.
        return TrustVerdict(Trust.IDENTITY_CHANGED, "T4", device_id, current)
    if current is None:
        return TrustVerdict(Trust.NO_IDENTITY, "T3", device_id)
    device = devices[device_id]
    if not _device_signed(user_id, device_id, device, current.self_signing):
        return TrustVerdict(Trust.UNSIGNED_DEVICE, "T3", device_id, current)
    return TrustVerdict(Trust.TRUSTED, "T3", device_id, current, pin=pinned is None)
