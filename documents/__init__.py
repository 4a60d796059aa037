"""The pure .docx engine: bytes in, bytes out, no Matrix (built in issue #4).

The path of an untrusted file, and where each step lives:

1. The safety gate, before anything parses it: `package_gate.check_package`, over the zip
   container (`zip_structure`), the XML byte scan (`xml_scan`) and the links and fields of the
   parts (`content_scan`, judged by `links`); its sentences for a delegate in `refusals`, its
   budgets in `limits`.
2. The reading, in a sandboxed child with time and memory limits: `parsing_child`
   (`parse_with_limits`; the child's sandbox in `sandbox`, what it loads first in `preload`, its
   answer as JSON through `wire`). A refusal of the file comes back as `errors.DocumentRefused`,
   a bug of the engine as `errors.EngineFault`.
3. The jobs that run there (`jobs`): the reader of tracked changes (`tracked_changes`, over the
   paragraphs in document order of `paragraph_order` and the names of `wordml`, into `model`),
   the proposal check (`proposals`), word-level edits (`edits`, over the tokens of `tokens` and
   what a proposal puts in place of each base paragraph, table rows whole included, from
   `replacements`) and their combination, the compiled revision (`compile`: `revision_pieces`,
   then `revision` renders them as tracked changes over the base runs and their inline wrappers
   of `base_runs`, and `revision_rows` the table rows inserted or deleted whole), accept-all
   (`accept`) and the compilation matrix (`compilation_matrix`); what a delegate reads of a
   proposal in the chat — the words around each change, each conflict's alternatives
   (`excerpts`) — and a paragraph's story or a proposal's every change (`paragraph_history`).
"""
