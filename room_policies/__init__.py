"""Pure rules: roles, room kinds, who may be where, power levels, decisions (issue #3).

No Matrix, database or network code: the shell (`bot`) and the Synapse module ask these
functions and act on the answers. Modules:

- `roles`: `Role`, `RoomKind`, `FolderKey`, the id types, the platform's `Platform` accounts and
  `Decision`, the shape of every answer;
- `roster`: the roster (SPEC §7) as frozen models, `load_roster`, `validate`, `dump_roster`;
- `roster_problems`: `RosterError`, one `RosterProblem` per reason a roster is refused;
- `reasons`: the codes of refusals (`Why`, `Problem`) and their facts (`Place`), which
  `commands/` words in the reader's language;
- `rooms`: `RoomRef`, the `org.plenaria.room` marker, `desired_rooms`;
- `access_table`: SPEC §2's table (`ACCESS`: standing per room kind and role) and which account
  governs a room;
- `conduct`: what people may do in a room (invite, change a setting, redact, remove, ban),
  asked alike by the enforcer and the Synapse module, answering with a `Decision`;
- `membership`: the table applied to the roster's people: `members_of`, `may_join` and the
  `may_*` questions of `conduct` for a room as the roster makes it;
- `power_levels`: the one power-level table and `power_levels_content` / `power_levels_for`;
- `room_state`: the state every governed room carries (`org.plenaria.members` publishes who
  belongs, so rules can be checked from the room alone);
- `event_rules`: `judge(event, state)`, the rules as the Synapse module applies them;
- `breaches`: `judge_event`, whether an event already in a room broke a rule (the enforcer),
  and `report_room`, where a breach is reported;
- `room_plan`: `plan(desired, actual)`, the corrections that make a room as the roster wants
  it (the reconciler applies them; a dry run is the plan);
- `sessions`: `may_sign_in` and `may_act_without_a_device`, the platform's own sessions (the
  Synapse module);
- `key_sharing`: `may_share_room_key`, whose device may have a room key the bot made back (a
  room-key request; rules K1–K4);
- `synapse_module`: `RoomPolicyModule`, loaded by Synapse (the only module importing synapse;
  not imported by this package).

Rules are numbered R1–R40 in those modules, each traced to SPEC.md.
"""
