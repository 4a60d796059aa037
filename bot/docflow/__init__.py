"""The document flow (SPEC §3): the shell around the pure engine (`documents/`), a module a job.

- `publishing.py`  `!publish`, a file posted straight into a folder, what other parts publish
- `intake.py`      a focal point's proposal: checked, filed, receipted; `!check`, `!status`
- `uploads.py`     where a file uploaded on its own goes (the plenary: intake; a folder: publish)
- `suggestions.py` reference documents a delegation suggests and the Chair accepts or declines
- `compilation.py` `!compile`, `!distribute`, `!agree` / `!approve` (paragraph statuses)
- `history.py`     `!history` (a paragraph across versions, rounds, statuses), `!pending`
- `late_joiners.py` a folder's documents sent again to someone who joins it late
- `fetching.py`    `!get`: a document sent again, readable on the asker's sessions of now
- `rounds.py`      `!round`, `!schedule`, and the window a proposal must fall in (issue #12)
- `round_steps.py` the rounds' openings, reminders and closes, taken on time and once
- shared: `transfer.py` (files in and out of Matrix, transaction ids), `engine.py` (the engine's
  jobs in limited worker processes), `tools.py` (the registry, file store, engine, transfer)

The services return data (`commands/documents_deps.py`) and raise typed refusals
(`commands/document_refusals.py`); every sentence is worded in `commands/`. The rules they
apply are pure: `documents.proposals` (base names, standing proposals), `documents.lifecycles`
(suggestion and paragraph statuses), `room_policies.access_table` (who posts in a folder).
"""
