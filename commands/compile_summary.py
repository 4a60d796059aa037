"""The summary of a compilation (`!compile`), line by line in the reader's language.

The engine reports the compilation as facts (`documents.compile.Compilation`: per delegation, per
paragraph) and the proposals it left out with their refusals; this words them. The English lines
are those of `Compilation.summary()`, which the CLI prints. `conflict_lines` then shows each
conflict (issue #14): each alternative with the delegations that proposed it, as the words
around the conflict read with it, marked as in a receipt — where the Chair starts building
consensus; after `CONFLICTS_SHOWN` conflicts, the compilation matrix has the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from commands.engine_refusals import engine_reason
from commands.i18n import N_, Translate
from commands.marked_text import Line, escaped, filled, marked
from documents.compile import Compilation
from documents.errors import DocumentRefused

__all__ = ["CONFLICTS_SHOWN", "compile_summary", "conflict_lines"]

CONFLICTS_SHOWN = 10

_TOTALS = N_(
    "{proposals} proposal(s); {paragraphs} paragraph(s) touched; {conflicts} conflict(s); "
    "{new} new paragraph(s)"
)
_TOTALS_WITH_NEW = N_(
    "{proposals} proposal(s); {paragraphs} paragraph(s) touched; {conflicts} conflict(s); "
    "{new} new paragraph(s) ({numbers})"
)
_DELEGATION = N_("{code} {name}: {changes} change(s) in {paragraphs} paragraph(s)")
_DELEGATION_IN_CONFLICT = N_(
    "{code} {name}: {changes} change(s) in {paragraphs} paragraph(s), {conflicts} in conflict"
)
_CONFLICT = N_("paragraph {number}: conflict between {delegations}")
_CONFLICT_BEFORE = N_("paragraph before {number}: conflict between {delegations}")
_LEFT_OUT = N_("left out {file}: {reason}")
_ALTERNATIVE = N_("paragraph {number}, {delegations}: {change}")
_MORE_CONFLICTS = N_("and {count} more conflict(s): see the compilation matrix.")


def compile_summary(
    compilation: Compilation,
    left_out: Sequence[tuple[str, DocumentRefused]],
    _: Translate = str,
) -> list[str]:
    c = compilation
    touched = [p for p in c.paragraphs if p.changes]
    totals = _TOTALS_WITH_NEW if c.new_paragraphs else _TOTALS
    lines = [
        _(totals).format(
            proposals=len(c.delegations),
            paragraphs=len(touched),
            conflicts=c.conflicts,
            new=len(c.new_paragraphs),
            numbers=", ".join(c.new_paragraphs),
        )
    ]
    for d in c.delegations:
        lines.append(
            _(_DELEGATION_IN_CONFLICT if d.in_conflict else _DELEGATION).format(
                code=d.code,
                name=d.name,
                changes=d.changes,
                paragraphs=d.paragraphs,
                conflicts=d.in_conflict,
            )
        )
    for p in c.paragraphs:
        if p.conflicts:
            before = p.number.startswith("before ")
            lines.append(
                _(_CONFLICT_BEFORE if before else _CONFLICT).format(
                    number=p.number.removeprefix("before "),
                    delegations=", ".join(p.in_conflict),
                )
            )
    lines += c.notes  # none today: the compilation's own notes (English) if it ever has any
    lines += [
        _(_LEFT_OUT).format(file=name, reason=engine_reason(refused, _))
        for name, refused in left_out
    ]
    return lines


def conflict_lines(compilation: Compilation, _: Translate = str) -> list[Line]:
    """Each conflict's alternatives, one line each: the paragraph, who proposed it, the words
    around the conflict with its change marked; the first `CONFLICTS_SHOWN` conflicts."""
    views = compilation.conflict_views
    lines: list[Line] = []
    for view in views[:CONFLICTS_SHOWN]:
        for codes, pieces in view.alternatives:
            lines.append(
                filled(
                    _(_ALTERNATIVE),
                    number=view.paragraph,
                    delegations=", ".join(codes),
                    change=marked(pieces),
                )
            )
    if len(views) > CONFLICTS_SHOWN:
        lines.append(escaped(_(_MORE_CONFLICTS).format(count=len(views) - CONFLICTS_SHOWN)))
    return lines
