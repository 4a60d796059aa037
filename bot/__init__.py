"""plenaria's shell: everything that talks to Matrix, the database, the disk and the clock.

The rules live in the pure packages — `room_policies/` (who may be where, power levels, trust,
what a room must hold), `documents/` (the .docx engine) — and every sentence a person reads in
`commands/`. This package applies them. Its sub-packages: `matrix/` (the gateway, E2EE),
`sync/` (the loop, classification, dispatch), `governance/` (roster, room directory,
reconciler, enforcer, trust), `docflow/` (documents in the chat), `storage/` (database, files),
`runtime/` (settings, wiring, metrics, HTTP), `accounts/` and `cli/` (the server's command
line), `demo/` (the demo working group and what the tests share with it).

Theory of operation (each step names the module where it happens):

The path of a command.
  1. `bot/sync/router.py` syncs (one long poll at a time) and hands each joined room's timeline
     to the enforcer (see the breach below) and to classification.
  2. `bot/matrix/e2ee.py` has decrypted what it could; an event whose key has not arrived yet
     waits in its queue (in the database) and is retried after every sync.
  3. `bot/sync/classify.py` decides what is a command, an upload or nothing, and records how
     the event was received (encrypted, from which device) for the trust check.
  4. `bot/sync/router.py` skips what the ledger (`bot/storage/database.py`, `handled_events`)
     says was done, holds the event in the checkpoint (`bot/sync/checkpoint.py`) and starts a
     task for it, so sync never waits for a handler.
  5. `bot/sync/dispatch.py` asks `bot/governance/service.py` who the sender is and where they
     are (role, room kind, delegation), then `bot/governance/trust.py` whether the message
     provably comes from a session the person verified (`room_policies/trust.py`).
  6. `commands/table.py` parses, authorises (who may use the command where, SPEC §5) and
     validates the arguments; `commands/builtin.py` is the table; the handler gets the one
     capability it needs from the services record (`commands/services.py`), which
     `bot/runtime/app.py` fills with the shell's services. An upload goes to
     `bot/docflow/uploads.py` instead, which hands a proposal to `bot/docflow/intake.py`
     (checked by the engine in a sandboxed child, `documents/parsing_child.py`) and a
     document for a folder to `bot/docflow/publishing.py`.
  7. The handler returns a `Reply` worded in `commands/`; `bot/sync/dispatch.py` audits the
     decision (never the content), sends the reply threaded under the command with a
     transaction id derived from its event id (`bot/matrix/gateway.py`, which refuses to send
     into a room it does not see as encrypted), marks the event handled and lets the checkpoint
     move the saved sync token past it. A fault of the platform is logged with a reference and
     answered "Internal error (ref …)"; it never ends the loop.

The path of a support request (issue #11, seed V).
  1. `!support` in a direct room with the bot is a command like any other; its handler reaches
     `bot/governance/support.py`, which keys a ticket by the command's event
     (`bot/storage/support.py`, no text stored) and posts it, and any file that came with it
     (`bot/docflow/transfer.py`), in the Support room.
  2. A Secretariat member's reply to the ticket is classified as a support answer
     (`bot/sync/classify.py`), queued like a command, and relayed by `bot/governance/support.py`
     to the asker's direct room under a transaction id derived from the reply's event id.

The path of a round (issue #12, seed III.D).
  1. `!round open` is a command like any other; `bot/docflow/rounds.py` keeps the round in the
     database (`bot/storage/rounds.py`) and wakes the scheduler, `bot/docflow/round_steps.py`.
  2. The scheduler asks `documents/rounds.py` which steps are owed at the injected clock's now
     (`bot/runtime/clock.py`), posts their effects under transaction ids derived from the round,
     the step and the room, then records the step; it waits for the next one on the clock.
  3. A proposal upload goes through `bot/docflow/intake.py`, which asks `bot/docflow/rounds.py`
     whether a round of its document is open and on which version; the close compiles with
     `bot/docflow/compilation.py`, as `!compile` does.

The path of a room-key request (issue #14).
  1. `bot/sync/router.py` hands each `m.room_key_request` of someone else's device in a sync
     (nio itself answers only the bot's own devices) to `bot/governance/key_sharing.py`.
  2. That asks `room_policies/key_sharing.py` (K1–K4), with the session the bot holds, the
     asker's devices their pinned identity signed (`bot/governance/trust.py`) and the roster;
     an allowed request gets the session over Olm, to that one device. Each answer is audited.
  3. Clients that ask only their owner's devices (Element) get a document with `!get` instead:
     `bot/docflow/fetching.py` posts it again, encrypted to the asker's sessions of now.

The path of a breach.
  1. Prevent: Synapse asks `room_policies/synapse_module.py` before an event exists, and it
     refuses what `room_policies/event_rules.py` forbids.
  2. React: what got through anyway (or happened while the module was off) arrives in a sync —
     the bot's, or the warden's for the experts rooms (`StateWatch` in
     `bot/governance/enforcer.py`). `bot/governance/enforcer.py` asks
     `room_policies/breaches.py` whether it broke a rule.
  3. Repair: `bot/governance/reconciler.py` reads the room, computes the corrections with the
     pure plan of `room_policies/room_plan.py` and applies them with the room's governing
     account; the room directory (`bot/governance/directory.py`) says which room is which.
  4. Report and audit: the moderation room, or the focal point's desk for their experts room,
     is told (`bot/governance/service.py`); the audit log records who, what, where and why.

The path of a crash recovery.
  1. `bot/runtime/app.py` starts: migrations, then the same device as before
     (`bot/matrix/gateway.py` restores the saved login and E2EE store; `bot/matrix/e2ee.py`
     checks the device is still cross-signed), the platform's own keys watched
     (`bot/governance/platform_watch.py`).
  2. Provisioning reconciles every room (`bot/governance/reconciler.py`); rooms are found by
     the markers the platform wrote in them, so a room half-made before the crash is completed,
     never made twice. If provisioning fails, /healthz says so (`bot/runtime/http_server.py`)
     until a `!reconcile` succeeds.
  3. `bot/sync/router.py` syncs from the saved token, which never passed an event still in
     flight: what was being handled is handled again, the ledger skips what was finished, and
     the same transaction id makes the homeserver drop a reply sent twice. A document is filed
     under the event that brought it (`bot/storage/registry.py`) before it is acknowledged,
     and re-posted with transaction ids derived from that event (`bot/docflow/transfer.py`),
     so a second handling files and posts nothing twice.
"""
