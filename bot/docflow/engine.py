"""The documents engine as the bot runs it: each job in a worker process with time and memory
limits (`documents.parsing_child.parse_with_limits`), off the event loop, on threads of its own.

Six jobs: read a base's text (once per version: every proposal on it is checked against that
text), check a proposal against it, compile a document's proposals, the safety gate alone for
a file the platform re-posts to every delegation, a paragraph's history, and every change of a
proposal (`!show`). A file the engine refuses is a `DocumentRefused` (the delegate's to fix).
An `EngineFault` — the engine's own bug — is let through on purpose: the engine logged it (its
type and where it was raised, never the file) under a reference, and the dispatcher's catch-all
(`bot/sync/dispatch.py`) answers "Internal error (ref N)" with that reference.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from commands.document_refusals import FileRefused
from documents.errors import DocumentRefused
from documents.jobs import (
    BaseText,
    CheckResult,
    CompileResult,
    base_text_job,
    check_text_job,
    compile_job,
    gate_job,
)
from documents.lifecycles import ParagraphStatus, StatusEntry
from documents.limits import Limits
from documents.paragraph_history import history_job, show_job
from documents.parsing_child import parse_with_limits, start_fork_server
from documents.wire import Json

_R = TypeVar("_R")
_BASES_KEPT = 8
ENGINE_LIMITS = Limits(parse_seconds=300.0, parse_memory_bytes=1536 * 1024 * 1024)


def engine_workers() -> int:
    """Children at once: one per core this process may run on (at least 2, at most 8, each
    child being allowed `ENGINE_LIMITS` of memory)."""
    return max(2, min(8, len(os.sched_getaffinity(0))))


class Engine:
    """The jobs are module-level functions of bytes (the child imports them by name); a test
    may pass its own."""

    def __init__(
        self,
        *,
        check: Callable[..., CheckResult] = check_text_job,
        base_text: Callable[..., BaseText] = base_text_job,
        compile: Callable[..., CompileResult] = compile_job,
        gate: Callable[..., Json | None] = gate_job,
        history: Callable[..., Json] = history_job,
        show: Callable[..., Json] = show_job,
        limits: Limits = ENGINE_LIMITS,
    ) -> None:
        self._check, self._compile, self._gate = check, compile, gate
        self._base_text = base_text
        # Each base's text, read once (in a child, as any file) for all the proposals on it:
        # at a deadline, 35 checks on one version. By sha256; the few latest.
        self._base_texts: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._history, self._show = history, show
        self.limits = limits
        # The engine's workers get threads of their own: the default pool also serves nio's
        # encrypted uploads, which must not queue behind 35 proposal checks.
        self._pool = ThreadPoolExecutor(max_workers=engine_workers(), thread_name_prefix="engine")

    async def check(
        self, base_name: str, base_data: bytes, file_name: str, data: bytes, delegation: str
    ) -> CheckResult:
        """The proposal check (SPEC §3); raises `DocumentRefused` if the base or the file
        cannot be read at all."""
        text = await self.base_text(base_data)
        return await self._run(self._check, base_name, text, file_name, data, delegation)

    async def base_text(self, base_data: bytes) -> tuple[str, ...]:
        """The base's text, each paragraph's (`documents.jobs.base_text_job`), read once per
        version; `DocumentRefused` if it cannot serve as a base."""
        key = hashlib.sha256(base_data).hexdigest()
        known = self._base_texts.get(key)
        if known is not None:
            self._base_texts.move_to_end(key)
            return known
        text = (await self._run(self._base_text, base_data)).paragraphs
        self._base_texts[key] = text
        while len(self._base_texts) > _BASES_KEPT:
            self._base_texts.popitem(last=False)
        return text

    async def compile(
        self,
        base_name: str,
        base_data: bytes,
        proposals: Sequence[tuple[str, bytes]],
        *,
        names: Mapping[str, str] | None,
        statuses: Mapping[int, ParagraphStatus],
        history: Mapping[int, Sequence[StatusEntry]] | None = None,
    ) -> CompileResult:
        return await self._run(
            self._compile,
            base_name,
            base_data,
            proposals,
            names=names,
            statuses={n: s.value for n, s in statuses.items()},
            history=history,
        )

    async def history(
        self,
        base_name: str,
        versions: Sequence[tuple[int, bytes]],
        proposals: Sequence[tuple[int, str, bytes]],
        paragraph: str,
    ) -> Json:
        """A paragraph's text at each version and the proposals on it
        (`documents.paragraph_history.history_job`)."""
        return await self._run(self._history, base_name, versions, proposals, paragraph)

    async def show(
        self, base_name: str, base_data: bytes, file_name: str, data: bytes, paragraph: str | None
    ) -> Json:
        """Every change of a proposal, or those on one paragraph
        (`documents.paragraph_history.show_job`)."""
        return await self._run(self._show, base_name, base_data, file_name, data, paragraph)

    async def gate(self, file_name: str, data: bytes) -> None:
        """Every Office package the platform re-posts to the delegations passes the same gate as
        a proposal (links, fields, macros, embedded packages…); `FileRefused` if it fails."""
        if not data.startswith(b"PK\x03\x04"):
            return  # not an Office Open XML package (a PDF, say): nothing of it is parsed
        try:
            found = await self._run(self._gate, data)
            refused = None if found is None else DocumentRefused.from_json(found)
        except DocumentRefused as refusal:
            refused = refusal
        if refused is not None:
            raise FileRefused(file_name, refused)

    async def warm_up(self) -> None:
        """Start the parsing children's fork server now, with the parser libraries loaded
        (`documents.parsing_child`), rather than at the first upload: at a deadline the first
        receipts would otherwise wait the seconds it takes."""
        await asyncio.get_running_loop().run_in_executor(self._pool, start_fork_server)

    async def _run(self, job: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        call = functools.partial(parse_with_limits, job, *args, limits=self.limits, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)
