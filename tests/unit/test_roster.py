"""The roster (SPEC §7): loading, every refusal reason (R1–R6), round trip, names, changes."""

from __future__ import annotations

import textwrap

import pytest

from room_policies.roles import DelegationCode, Role, UserId
from room_policies.roster import (
    Delegation,
    Roster,
    RosterError,
    country_name,
    dump_roster,
    load_roster,
    validate,
)

SERVER = "example.org"
BOT = "@plenaria:example.org"
WARDEN = "@plenaria-warden:example.org"

SPEC_ROSTER = """\
working_group: "Joint Working Group on Disaster Prevention and Response"
chairs: ["@chair:example.org"]
secretariat: ["@sec.ana:example.org"]
experts_read_folders: false
delegations:
  - code: AG
    name: Antigua and Barbuda          # optional: ISO 3166 name by default
    focal_point: "@ag.fp:example.org"
    experts: ["@ag.exp1:example.org", "@ag.exp2:example.org"]
folders:                              # optional: these three by default
  reference: Reference documents
  supporting: Supporting documents
  plan: Inter-American Plan
"""


def roster_text(
    delegations: str, *, chairs: str = '["@chair:example.org"]', extra: str = ""
) -> str:
    return (
        'working_group: "WG"\n'
        f"chairs: {chairs}\n"
        'secretariat: ["@sec:example.org"]\n'
        "delegations:\n" + textwrap.indent(textwrap.dedent(delegations), "  ") + extra
    )


def refusal(text: str, **kwargs: str) -> tuple[str, ...]:
    with pytest.raises(RosterError) as caught:
        load_roster(text, SERVER, **kwargs)
    reasons = caught.value.reasons
    assert reasons, "a refusal always says why"
    assert all(reason and "\n" not in reason for reason in reasons), "one line per reason"
    assert str(caught.value) == "\n".join(reasons)
    return reasons


def only_reason(text: str, **kwargs: str) -> str:
    reasons = refusal(text, **kwargs)
    assert len(reasons) == 1, reasons
    return reasons[0]


# -- loading -----------------------------------------------------------------------------------


def test_the_spec_example_loads_with_its_defaults() -> None:
    roster = load_roster(SPEC_ROSTER, SERVER, bot_id=BOT, warden_id=WARDEN)
    assert roster.working_group == "Joint Working Group on Disaster Prevention and Response"
    assert roster.chairs == ("@chair:example.org",)
    assert roster.experts_read_folders is False
    (ag,) = roster.delegations
    assert (ag.code, ag.name, ag.focal_point) == ("AG", "Antigua and Barbuda", "@ag.fp:example.org")
    assert ag.experts == ("@ag.exp1:example.org", "@ag.exp2:example.org")
    assert roster.folders.plan == "Inter-American Plan"
    assert roster.names == {}


def test_optional_keys_take_the_spec_defaults() -> None:
    roster = load_roster(roster_text('- {code: BR, focal_point: "@br.fp:example.org"}\n'), SERVER)
    assert roster.experts_read_folders is False
    assert roster.delegations[0].name == "Brazil"
    assert roster.delegations[0].experts == ()
    assert (roster.folders.reference, roster.folders.supporting, roster.folders.plan) == (
        "Reference documents",
        "Supporting documents",
        "Inter-American Plan",
    )


def test_a_delegation_name_defaults_to_the_iso_common_name() -> None:
    assert country_name("AG") == "Antigua and Barbuda"
    assert country_name("BO") == "Bolivia"  # not "Bolivia, Plurinational State of"
    assert country_name("VE") == "Venezuela"
    assert country_name("UK") is None
    assert country_name("ag") is None


def test_codes_are_read_in_capitals() -> None:
    roster = load_roster(
        roster_text('- {code: " br ", focal_point: "@br.fp:example.org"}\n'), SERVER
    )
    assert roster.delegations[0].code == "BR"


def test_norway_is_not_false() -> None:
    # YAML 1.1 reads a bare NO as a boolean; the roster loader does not.
    roster = load_roster(roster_text('- {code: NO, focal_point: "@no.fp:example.org"}\n'), SERVER)
    assert roster.delegations[0].code == "NO"
    assert roster.delegations[0].name == "Norway"
    assert "'NO'" in dump_roster(roster)


# -- refusals, one per reason ------------------------------------------------------------------


def test_refuses_an_unknown_iso_code() -> None:  # R1
    reason = only_reason(roster_text('- {code: UK, focal_point: "@uk.fp:example.org"}\n'))
    assert reason == "delegation code 'UK' is not an ISO 3166-1 alpha-2 country code"


def test_refuses_a_delegation_listed_twice() -> None:  # R2
    reasons = refusal(
        roster_text(
            """\
            - {code: AG, focal_point: "@ag.fp:example.org"}
            - {code: ag, focal_point: "@ag.other:example.org"}
            """
        )
    )
    assert reasons == (
        "delegation AG is listed twice; a delegation is listed once, with exactly one focal point",
    )


def test_refuses_two_focal_points_for_one_delegation() -> None:  # R2
    reason = only_reason(
        roster_text('- {code: AG, focal_point: ["@a:example.org", "@b:example.org"]}\n')
    )
    assert (
        reason == "delegations[0] (AG).focal_point: a delegation has exactly one focal point, not 2"
    )


def test_refuses_a_person_in_two_roles() -> None:  # R3
    reason = only_reason(roster_text('- {code: AG, focal_point: "@chair:example.org"}\n'))
    assert reason == (
        "@chair:example.org holds two roles (chair, focal point of AG); a person holds one role"
    )


def test_refuses_a_person_in_two_delegations() -> None:  # R3
    reason = only_reason(
        roster_text(
            """\
            - {code: AG, focal_point: "@ag.fp:example.org", experts: ["@x:example.org"]}
            - {code: BR, focal_point: "@br.fp:example.org", experts: ["@x:example.org"]}
            """
        )
    )
    assert reason == "@x:example.org is in two delegations (AG, BR); a person is in at most one"


def test_refuses_a_focal_point_who_is_also_an_expert() -> None:  # R3
    reason = only_reason(
        roster_text('- {code: AG, focal_point: "@x:example.org", experts: ["@x:example.org"]}\n')
    )
    assert "holds two roles (focal point of AG, expert of AG)" in reason


def test_refuses_a_person_listed_twice() -> None:  # R3
    reason = only_reason(roster_text("[]\n", chairs='["@chair:example.org", "@chair:example.org"]'))
    assert reason == "@chair:example.org is listed twice as chair"


def test_refuses_a_user_of_another_server() -> None:  # R4
    reason = only_reason(roster_text('- {code: AG, focal_point: "@ag.fp:matrix.org"}\n'))
    assert reason == (
        "@ag.fp:matrix.org is an account of matrix.org, not of example.org: every participant "
        "has an account on the platform's own homeserver"
    )


@pytest.mark.parametrize(
    "user",
    ["ag.fp:example.org", "@ag.fp", "@:example.org", "@Ag.Fp:example.org", "@ag fp:example.org"],
)
def test_refuses_a_malformed_user_id(user: str) -> None:  # R4
    reason = only_reason(roster_text(f'- {{code: AG, focal_point: "{user}"}}\n'))
    assert reason.startswith(f"{user!r} is not a Matrix user id like @name:example.org")


def test_a_server_with_a_port_is_a_server_name() -> None:  # R4
    text = roster_text('- {code: AG, focal_point: "@ag.fp:localhost:8448"}\n').replace(
        "example.org", "localhost:8448"
    )
    assert load_roster(text, "localhost:8448").delegations[0].focal_point == "@ag.fp:localhost:8448"


@pytest.mark.parametrize(("account", "what"), [(BOT, "bot"), (WARDEN, "warden")])
def test_refuses_a_platform_account_as_participant(account: str, what: str) -> None:  # R5
    reason = only_reason(
        roster_text(f'- {{code: AG, focal_point: "{account}"}}\n'), bot_id=BOT, warden_id=WARDEN
    )
    assert reason == f"{account} is the platform's {what} account and cannot also be a participant"


def test_refuses_a_roster_without_chair_or_secretariat() -> None:  # R6
    text = "working_group: WG\nchairs: []\nsecretariat: []\n"
    assert refusal(text) == (
        "the roster names no chair; the working group needs at least one",
        "the roster names no secretariat member; at least one is needed",
    )


def test_refuses_a_blank_delegation_name() -> None:
    reason = only_reason(
        roster_text('- {code: AG, name: " ", focal_point: "@ag.fp:example.org"}\n')
    )
    assert reason == "delegation AG has an empty name"


def test_refuses_unknown_and_missing_keys_saying_where() -> None:
    reasons = refusal(
        roster_text('- {code: AG, focal_points: "@ag.fp:example.org"}\n', extra="colour: blue\n")
    )
    assert set(reasons) == {
        "delegations[0] (AG).focal_point: required, but missing",
        "delegations[0] (AG).focal_points: unknown key (check its spelling)",
        "colour: unknown key (check its spelling)",
    }


def test_refuses_what_is_not_a_yaml_mapping() -> None:
    assert only_reason("- just\n- a list\n").startswith("the roster must be a YAML mapping")
    assert only_reason("chairs: [\n").startswith("the roster is not valid YAML:")


def test_refuses_names_of_people_not_on_the_roster() -> None:
    text = roster_text(
        '- {code: AG, focal_point: "@ag.fp:example.org"}\n',
        extra='names: {"@ag.fq:example.org": Ana}\n',
    )
    assert only_reason(text) == "names: @ag.fq:example.org is not on the roster (check the user id)"


def test_every_reason_is_given_at_once() -> None:
    reasons = refusal(
        roster_text(
            """\
            - {code: UK, focal_point: "@uk.fp:example.org"}
            - {code: AG, focal_point: "@ag.fp:matrix.org"}
            - {code: AG, focal_point: "@chair:example.org"}
            """
        )
    )
    assert len(reasons) == 4


def test_validate_checks_a_roster_built_in_code() -> None:
    roster = load_roster(SPEC_ROSTER, SERVER)
    validate(roster, SERVER, bot_id=BOT, warden_id=WARDEN)
    with pytest.raises(RosterError) as caught:
        validate(roster, "other.org")
    assert len(caught.value.reasons) == 5  # every participant is of another server


# -- round trip --------------------------------------------------------------------------------


def test_dump_and_load_round_trip() -> None:
    text = SPEC_ROSTER + 'names:\n  "@ag.fp:example.org": Ana Pérez\n'
    roster = load_roster(text, SERVER)
    dumped = dump_roster(roster)
    again = load_roster(dumped, SERVER)
    assert again == roster
    assert dump_roster(again) == dumped
    assert "Ana Pérez" in dumped  # not escaped


def test_dump_leaves_out_an_empty_names_map() -> None:
    assert "names" not in dump_roster(load_roster(SPEC_ROSTER, SERVER))


# -- questions ---------------------------------------------------------------------------------


def test_roles_and_delegations_of_people() -> None:
    roster = load_roster(SPEC_ROSTER, SERVER)
    assert roster.role_of(UserId("@chair:example.org")) is Role.CHAIR
    assert roster.role_of(UserId("@sec.ana:example.org")) is Role.SECRETARIAT
    assert roster.role_of(UserId("@ag.fp:example.org")) is Role.FOCAL_POINT
    assert roster.role_of(UserId("@ag.exp2:example.org")) is Role.EXPERT
    assert roster.role_of(UserId("@nobody:example.org")) is None
    assert roster.delegation_of(UserId("@ag.exp1:example.org")) == "AG"
    assert roster.delegation_of(UserId("@chair:example.org")) is None
    assert roster.delegation_of(UserId("@nobody:example.org")) is None
    assert roster.participants() == (
        "@chair:example.org",
        "@sec.ana:example.org",
        "@ag.fp:example.org",
        "@ag.exp1:example.org",
        "@ag.exp2:example.org",
    )


def test_display_names() -> None:
    roster = load_roster(
        SPEC_ROSTER
        + 'names:\n  "@ag.fp:example.org": Ana Pérez\n  "@chair:example.org": María Gómez\n',
        SERVER,
    )
    names = {
        user: roster.display_name(UserId(user))
        for user in (
            "@ag.fp:example.org",
            "@ag.exp1:example.org",
            "@chair:example.org",
            "@sec.ana:example.org",
            "@nobody:example.org",
        )
    }
    assert names == {
        "@ag.fp:example.org": "Ana Pérez — Antigua and Barbuda (focal point)",
        "@ag.exp1:example.org": "ag.exp1 — Antigua and Barbuda (expert)",
        "@chair:example.org": "María Gómez — Chair",
        "@sec.ana:example.org": "sec.ana — Technical Secretariat",
        "@nobody:example.org": "nobody",
    }


# -- changes -----------------------------------------------------------------------------------


def _spec_roster() -> Roster:
    return load_roster(SPEC_ROSTER + 'names:\n  "@ag.fp:example.org": Ana\n', SERVER)


def test_adding_and_removing_a_delegation() -> None:
    roster = _spec_roster()
    added = roster.with_delegation(
        Delegation(code=DelegationCode("BR"), focal_point=UserId("@br.fp:example.org"))
    )
    validate(added, SERVER)
    brazil = added.delegation("BR")
    assert brazil is not None
    assert brazil.name == "Brazil"
    assert added.role_of(UserId("@br.fp:example.org")) is Role.FOCAL_POINT
    removed = added.without_delegation("AG")
    validate(removed, SERVER)
    assert removed.role_of(UserId("@ag.exp1:example.org")) is None
    assert removed.names == {}  # names of people who left go with them
    assert roster.delegation("BR") is None  # the original is unchanged


def test_a_delegation_added_twice_is_refused_by_validate() -> None:
    roster = _spec_roster()
    twice = roster.with_delegation(roster.delegations[0])
    with pytest.raises(RosterError):
        validate(twice, SERVER)


def test_focal_point_handover() -> None:
    roster = _spec_roster().with_focal_point("AG", UserId("@ag.new:example.org"))
    validate(roster, SERVER)
    assert roster.delegations[0].focal_point == "@ag.new:example.org"
    assert roster.role_of(UserId("@ag.fp:example.org")) is None
    assert roster.names == {}


def test_an_expert_who_becomes_focal_point_leaves_the_experts() -> None:
    roster = _spec_roster().with_focal_point("AG", UserId("@ag.exp1:example.org"))
    validate(roster, SERVER)
    assert roster.role_of(UserId("@ag.exp1:example.org")) is Role.FOCAL_POINT
    assert roster.delegations[0].experts == ("@ag.exp2:example.org",)


def test_adding_and_removing_experts() -> None:
    roster = _spec_roster().with_expert("AG", UserId("@ag.exp3:example.org"))
    validate(roster, SERVER)
    assert roster.delegation_of(UserId("@ag.exp3:example.org")) == "AG"
    roster = roster.without_expert("AG", UserId("@ag.exp1:example.org"))
    assert roster.delegations[0].experts == ("@ag.exp2:example.org", "@ag.exp3:example.org")
    with pytest.raises(KeyError):
        roster.with_expert("BR", UserId("@br.exp:example.org"))


def test_setting_a_name() -> None:
    roster = _spec_roster().with_name(UserId("@ag.exp1:example.org"), "Luis")
    assert (
        roster.display_name(UserId("@ag.exp1:example.org")) == "Luis — Antigua and Barbuda (expert)"
    )
    assert roster.with_name(UserId("@ag.exp1:example.org"), None).names == {
        "@ag.fp:example.org": "Ana"
    }


def test_display_name_changes_follow_a_handover() -> None:
    from room_policies.roles import UserId
    from room_policies.roster import display_name_changes

    old = load_roster(SPEC_ROSTER, SERVER, bot_id=BOT, warden_id=WARDEN)
    fp, new = UserId("@ag.fp:example.org"), UserId("@ag.new:example.org")
    changed = display_name_changes(old, old.with_focal_point("AG", new).with_name(new, "Eva Ruiz"))
    assert changed == {fp: "ag.fp", new: "Eva Ruiz — Antigua and Barbuda (focal point)"}
    assert display_name_changes(old, old) == {}
