"""room_policies.trust (T1–T5): whom the platform believes, over keys made and signed here.

Every key below is a real Ed25519 key and every signature a real one (signedjson), as a
`/keys/query` answer would carry them; forgeries are what an operator could do without the
person's private keys: a new device, a new identity, a key list edited on the server.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from signedjson.key import encode_verify_key_base64, generate_signing_key, get_verify_key
from signedjson.sign import sign_json

from room_policies.trust import (
    Identity,
    SenderProof,
    Trust,
    fingerprint,
    identity_of,
    judge_sender,
    signed_devices,
)

USER = "@ag.fp:example.org"


def _key() -> tuple[Any, str]:
    seed = generate_signing_key("0")
    public = encode_verify_key_base64(get_verify_key(seed))
    seed.version = public  # the key id of a cross-signing key is its public key
    return seed, public


@dataclass
class Person:
    """A person's private keys (an Element, in short) and what the server publishes for them."""

    user_id: str = USER
    master: tuple[Any, str] = field(default_factory=_key)
    ssk: tuple[Any, str] = field(default_factory=_key)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    device_seeds: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> Identity:
        return Identity(self.master[1], self.ssk[1])

    def new_device(self, device_id: str, *, cross_sign: bool = True) -> str:
        seed = generate_signing_key(device_id)
        ed = encode_verify_key_base64(get_verify_key(seed))
        curve = "curve-" + device_id
        device: dict[str, Any] = {
            "user_id": self.user_id,
            "device_id": device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {f"curve25519:{device_id}": curve, f"ed25519:{device_id}": ed},
        }
        device = sign_json(device, self.user_id, seed)
        if cross_sign:
            device = sign_json(device, self.user_id, self.ssk[0])
        self.devices[device_id] = device
        self.device_seeds[device_id] = seed
        return curve

    def reset_identity(self) -> None:
        self.master, self.ssk = _key(), _key()

    def proof(self, device_id: str) -> SenderProof:
        keys = self.devices[device_id]["keys"]
        return SenderProof(
            encrypted=True,
            sender_key=keys[f"curve25519:{device_id}"],
            session_ed25519=keys[f"ed25519:{device_id}"],
        )

    def published(self) -> dict[str, Any]:
        master = {
            "user_id": self.user_id,
            "usage": ["master"],
            "keys": {f"ed25519:{self.master[1]}": self.master[1]},
        }
        ssk = sign_json(
            {
                "user_id": self.user_id,
                "usage": ["self_signing"],
                "keys": {f"ed25519:{self.ssk[1]}": self.ssk[1]},
            },
            self.user_id,
            self.master[0],
        )
        return {
            "device_keys": {self.user_id: copy.deepcopy(self.devices)},
            "master_keys": {self.user_id: master},
            "self_signing_keys": {self.user_id: ssk},
        }


def test_a_cross_signed_device_is_trusted_and_pinned_at_first_sight() -> None:
    person = Person()
    person.new_device("PHONE")
    verdict = judge_sender(USER, person.proof("PHONE"), person.published(), None)
    assert verdict.trust is Trust.TRUSTED
    assert verdict.pin and verdict.current == person.identity
    assert verdict.device_id == "PHONE"


def test_with_the_identity_pinned_the_same_device_is_trusted_and_not_pinned_again() -> None:
    person = Person()
    person.new_device("PHONE")
    verdict = judge_sender(USER, person.proof("PHONE"), person.published(), person.identity)
    assert verdict.allowed and not verdict.pin


def test_T1_plaintext_is_never_acted_on() -> None:
    person = Person()
    person.new_device("PHONE")
    verdict = judge_sender(USER, SenderProof(encrypted=False), person.published(), None)
    assert verdict.trust is Trust.UNENCRYPTED and verdict.rule == "T1"


def test_T2_a_key_no_published_device_has_is_unknown() -> None:
    person = Person()
    person.new_device("PHONE")
    proof = SenderProof(True, "curve-elsewhere", "ed-elsewhere")
    assert judge_sender(USER, proof, person.published(), None).trust is Trust.UNKNOWN_DEVICE


def test_T2_a_forwarded_session_proves_nothing_about_its_sender() -> None:
    person = Person()
    person.new_device("PHONE")
    proof = person.proof("PHONE")
    forwarded = SenderProof(True, proof.sender_key, proof.session_ed25519, forwarded=True)
    assert judge_sender(USER, forwarded, person.published(), None).trust is Trust.UNKNOWN_DEVICE


def test_T2_a_session_claiming_another_signing_key_is_refused() -> None:
    person = Person()
    person.new_device("PHONE")
    proof = person.proof("PHONE")
    wrong = SenderProof(True, proof.sender_key, "some-other-ed25519")
    assert judge_sender(USER, wrong, person.published(), None).trust is Trust.UNKNOWN_DEVICE


def test_T3_a_device_its_owner_did_not_cross_sign_is_refused() -> None:
    person = Person()
    person.new_device("PHONE")
    person.new_device("NEW", cross_sign=False)
    verdict = judge_sender(USER, person.proof("NEW"), person.published(), person.identity)
    assert verdict.trust is Trust.UNSIGNED_DEVICE and verdict.device_id == "NEW"


def test_T3_a_person_without_cross_signing_is_refused() -> None:
    person = Person()
    person.new_device("PHONE")
    published = person.published()
    del published["master_keys"], published["self_signing_keys"]
    assert judge_sender(USER, person.proof("PHONE"), published, None).trust is Trust.NO_IDENTITY


def test_T3_a_self_signing_key_the_master_did_not_sign_is_no_identity() -> None:
    person = Person()
    person.new_device("PHONE")
    published = person.published()
    other, _ = _key()
    ssk = published["self_signing_keys"][USER]
    ssk["signatures"] = sign_json({k: v for k, v in ssk.items() if k != "signatures"}, USER, other)[
        "signatures"
    ]
    assert identity_of(USER, published) is None


def test_T3_a_cross_signature_the_server_edited_in_does_not_verify() -> None:
    """The operator copies a genuine signature onto a device of their own: it does not verify."""
    person = Person()
    person.new_device("PHONE")
    person.new_device("EVIL", cross_sign=False)
    published = person.published()
    genuine = published["device_keys"][USER]["PHONE"]["signatures"][USER]
    published["device_keys"][USER]["EVIL"]["signatures"][USER].update(
        {k: v for k, v in genuine.items() if not k.endswith(":PHONE")}
    )
    verdict = judge_sender(USER, person.proof("EVIL"), published, person.identity)
    assert verdict.trust is Trust.UNSIGNED_DEVICE


def test_T4_a_reset_identity_is_refused_even_on_a_device_it_signed() -> None:
    person = Person()
    person.new_device("PHONE")
    pinned = person.identity
    person.reset_identity()  # what an operator with a reset password can do
    person.new_device("EVIL")  # cross-signed by the new identity
    verdict = judge_sender(USER, person.proof("EVIL"), person.published(), pinned)
    assert verdict.trust is Trust.IDENTITY_CHANGED and verdict.rule == "T4"
    assert verdict.current == person.identity != pinned


def test_T4_removing_cross_signing_is_an_identity_change() -> None:
    person = Person()
    person.new_device("PHONE")
    pinned = person.identity
    published = person.published()
    del published["master_keys"]
    verdict = judge_sender(USER, person.proof("PHONE"), published, pinned)
    assert verdict.trust is Trust.IDENTITY_CHANGED and verdict.current is None


def test_a_new_device_verified_with_the_same_identity_needs_no_retrust() -> None:
    person = Person()
    person.new_device("PHONE")
    pinned = person.identity
    person.new_device("LAPTOP")  # Element's "verify this session"
    assert judge_sender(USER, person.proof("LAPTOP"), person.published(), pinned).allowed


def test_signed_devices_lists_exactly_the_cross_signed_ones() -> None:
    person = Person()
    person.new_device("A")
    person.new_device("B", cross_sign=False)
    person.new_device("C")
    assert signed_devices(USER, person.published(), person.identity) == {"A", "C"}


def test_fingerprint_is_short_and_copyable() -> None:
    assert fingerprint("abcdEFGHijklMNOPqrst") == "abcd-EFGH-ijkl-MNOP"


@settings(max_examples=30, deadline=None)
@given(
    encrypted=st.booleans(),
    forwarded=st.booleans(),
    cross_signed=st.booleans(),
    reset=st.booleans(),
    pinned_first=st.booleans(),
)
def test_property_only_an_encrypted_direct_message_from_a_pinned_signed_device_is_trusted(
    encrypted: bool, forwarded: bool, cross_signed: bool, reset: bool, pinned_first: bool
) -> None:
    """The privacy rule as an invariant: the platform acts on a message exactly when it came
    encrypted, straight from a device cross-signed by the identity pinned (or, at first sight,
    the identity shown)."""
    person = Person()
    person.new_device("OLD")
    pinned = person.identity if pinned_first else None
    if reset:
        person.reset_identity()
    person.new_device("DEV", cross_sign=cross_signed)
    base = person.proof("DEV")
    proof = SenderProof(encrypted, base.sender_key, base.session_ed25519, forwarded)
    verdict = judge_sender(USER, proof, person.published(), pinned)
    expected = encrypted and not forwarded and cross_signed and not (reset and pinned_first)
    assert verdict.allowed is expected
