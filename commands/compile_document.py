"""`!compile [document]`: compile the standing proposals on a document (moderation room).

The engine runs in a worker process; the revision and the compilation matrix come back to the
moderation room as files, with the summary.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.compile_summary import compile_summary, conflict_lines
from commands.documents_deps import CompileOutcome
from commands.i18n import N_, translator
from commands.marked_text import Text, escaped
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("compile the delegations' proposals on a document into a revision and a matrix")


class Args(BaseArgs):
    positional = ("document",)
    document: str | None = Field(
        default=None, description=N_("the base file name, e.g. Matriz.docx (default: the only one)")
    )


class Deps(Protocol):
    async def compile(self, invocation: Invocation, document: str | None) -> CompileOutcome:
        """Compile and post the drafts in the moderation room; a `Refusal` says why not."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    outcome = await deps.compile(invocation, args.document)
    out = Text()
    out.heading(
        _("Compiled {document}: {revision} and {matrix} are posted here (drafts).").format(
            document=outcome.base_file_name,
            revision=outcome.revision_name,
            matrix=outcome.matrix_name,
        )
    )
    out.items([escaped(line) for line in compile_summary(outcome.compilation, outcome.left_out, _)])
    out.items(conflict_lines(outcome.compilation, _))
    return out.reply()
