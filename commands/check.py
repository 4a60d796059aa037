"""`!check` (a focal point's desk, on a file): the proposal checks, without submitting."""

from __future__ import annotations

from typing import Protocol

from commands.document_refusals import reason_of
from commands.documents_deps import ProposalChecked
from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.table import Invocation, NoArgs, Refusal

SUMMARY = N_("check a proposal file (caption or reply) without submitting it")


class Args(NoArgs):
    pass


class Deps(Protocol):
    async def check(self, invocation: Invocation) -> ProposalChecked:
        """The checks of a proposal upload, filing nothing; a `Refusal` if it would be refused."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    try:
        checked = await deps.check(invocation)
    except Refusal as refusal:
        return Reply.plain(_("Would be refused: {reason}").format(reason=reason_of(refusal, _)))
    return Reply.titled(
        _("Would be accepted (nothing was submitted):"),
        [
            *_report_lines(checked, _),
            _("base: {document} version {version}").format(
                document=checked.base_file_name, version=checked.base_version
            ),
        ],
    )


def _report_lines(checked: ProposalChecked, _: Translate) -> list[str]:
    """What the check found, in the reader's language (the CLI prints the engine's English,
    `CheckResult.lines`, the same words)."""
    report = checked.result.report
    if report is None:
        return checked.result.lines()
    touched = ", ".join(str(n) for n in report.paragraphs_touched) or _("none")
    lines = [
        _("{file}: a proposal of {delegation}").format(
            file=report.file_name, delegation=report.delegation
        ),
        _("{changes} change(s); paragraphs touched: {paragraphs}").format(
            changes=report.changes, paragraphs=touched
        ),
    ]
    if report.formatting_changes:
        lines.append(
            _("{count} formatting-only change(s) (not compiled)").format(
                count=report.formatting_changes
            )
        )
    return lines
