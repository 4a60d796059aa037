"""Parsing an untrusted file in a child process with limits: a file that gets past the gate
(`documents.package_gate`) and still overloads, or even takes over, the parser costs one child
process, never the bot nor its secrets.

`parse_with_limits(fn, data)` runs the real reader (python-docx and lxml, a module-level
function) in a fresh child under `RLIMIT_AS` and a wall-clock timeout, in a sandbox
(`documents.sandbox`: no inherited descriptors, no environment, an empty working directory, an
unprivileged user), and reads its answer as JSON (`documents.wire`), never as a pickle.

Whose fault a failure is decides how it comes back. The file's: a `DocumentRefused` the job
raised, comes back as it is; running out of time or memory is a refusal too, and so is a child
that ends without its answer (killed, crashed) or answers with something else. The engine's: any
other exception the job raises is a bug (the readers' own errors on a damaged file are refusals
by the time they leave `documents.tracked_changes`), logged here with where it happened and a
reference, never its message, and raised as `EngineFault`.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import resource
import secrets
import signal
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, TypeVar, cast

from documents import sandbox, wire
from documents.errors import DocumentRefused, EngineFault, Reason, RefusalCode
from documents.limits import DEFAULT_LIMITS, Limits
from documents.refusals import RESAVE, megabytes
from documents.wire import WireError

__all__ = ["parse_with_limits", "start_fork_server"]

T = TypeVar("T")

log = logging.getLogger(__name__)


def parse_with_limits(
    fn: Callable[..., T], *args: Any, limits: Limits = DEFAULT_LIMITS, **kwargs: Any
) -> T:
    """Run `fn(*args, **kwargs)` in a fresh child process limited to `limits.parse_memory_bytes`
    of address space and `limits.parse_seconds` of wall-clock time, and return its result.

    The child starts in a sandbox (`documents.sandbox`: no inherited descriptors, no
    environment, an empty working directory, an unprivileged user when the parent is root). `fn`
    must be a module-level function; its arguments go to the child as the parent's own data,
    and its result comes back as JSON, never a pickle (`documents.wire`: a result type of its
    own is declared with `@wire.returns`, anything else must be plain JSON).

    A `DocumentRefused` raised by `fn` comes back as it is; running out of time or memory becomes
    "timeout" or "too_much_memory"; a child that ends without its answer, or answers with
    something else, "corrupt", with a plain sentence. Any other exception `fn` raises is a bug of
    the platform, not a damaged file: it is logged with where it happened (never its message,
    which could quote the document) and a reference, and raised as `EngineFault` with both.
    Blocking: call it from a worker thread in asynchronous code.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    box = sandbox.sandbox_for_child()
    process = context.Process(
        target=_child_main,
        args=(sender, box, limits.parse_memory_bytes, limits.parse_seconds, fn, args, kwargs),
        name="plenaria-parse",
        daemon=True,
    )
    answer = b""
    timed_out = False
    started = False
    try:
        process.start()
        started = True
        sender.close()
        answer, timed_out = _read_answer(receiver, limits)
    finally:
        sender.close()
        receiver.close()
        exitcode = None
        if started:
            # The end of the answer is the child's end: give it a moment to be reaped.
            process.join(0.0 if timed_out else 1.0)
            if process.exitcode is None:
                process.kill()
                process.join()
            exitcode = process.exitcode
            process.close()
        sandbox.remove_workdir(box)
    if timed_out:
        message: dict[str, Any] = {"kind": "timeout"}
    else:
        message = _parse_answer(answer, exitcode)
    return cast(T, _outcome(message, fn, limits))


def _read_answer(receiver: Connection, limits: Limits) -> tuple[bytes, bool]:
    """Everything the child writes until it closes its end: (the bytes, whether time ran out).
    The child may be hostile: it gets `limits.parse_seconds` for the whole answer, not per
    read, and no more than it could have built in its own memory."""
    deadline = time.monotonic() + limits.parse_seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not multiprocessing.connection.wait([receiver], remaining):
            return b"", True
        chunk = os.read(receiver.fileno(), 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > limits.parse_memory_bytes:
            return (
                b'{"kind": "damaged", "detail": "an answer larger than the child\'s memory"}',
                False,
            )
        chunks.append(chunk)


_KINDS = frozenset({"ok", "refused", "timeout", "memory", "damaged", "fault", "unencodable"})


def _parse_answer(answer: bytes, exitcode: int | None) -> dict[str, Any]:
    """The child's JSON message; if there is none, what its end says (killed for its memory or
    its CPU time, or a crash), and if what it wrote is not its message, a hostile child."""
    if not answer:
        return _message_for_exit(exitcode)
    try:
        message = json.loads(answer)
    except (ValueError, RecursionError):
        message = None
    if isinstance(message, dict) and message.get("kind") in _KINDS:
        return message
    if exitcode is not None and exitcode < 0:  # cut short by a signal while it answered
        return _message_for_exit(exitcode)
    log.warning("the parsing child answered with something other than its JSON message")
    return {"kind": "damaged", "detail": "a malformed answer from the parsing child"}


def _outcome(message: dict[str, Any], fn: Callable[..., Any], limits: Limits) -> Any:
    """The child's message as a result, or the refusal or error it stands for."""
    kind = message["kind"]
    try:
        if kind == "ok":
            return wire.decode_result(fn, message.get("result"))
        if kind == "refused":
            refusal = DocumentRefused.from_json(wire.field(message, "refusal", dict))
            refusal.reason = refusal.reason[:_MAX_REASON]
            refusal.detail = (refusal.detail or "")[:300] or None
            raise refusal
    # ValueError: a refusal code that does not exist; TypeError, KeyError: not a refusal.
    except (WireError, ValueError, TypeError, KeyError) as error:
        log.warning("the parsing child's answer is malformed: %s", str(error)[:200])
        kind, message = "damaged", {"detail": "a malformed answer from the parsing child"}
    if kind == "timeout":
        raise DocumentRefused(
            RefusalCode.TIMEOUT,
            f"Reading the file took longer than {limits.parse_seconds:g} seconds, so it was "
            "stopped; a document this slow to read is damaged or built to overload the platform.",
            why=Reason.TIMEOUT,
            params={"seconds": f"{limits.parse_seconds:g}"},
        )
    if kind == "memory":
        raise DocumentRefused(
            RefusalCode.TOO_MUCH_MEMORY,
            f"Reading the file needed more than {megabytes(limits.parse_memory_bytes)} of memory, "
            "so it was stopped; a document this heavy to read is damaged or built to overload the "
            "platform.",
            why=Reason.TOO_MUCH_MEMORY,
            params={"max_size": limits.parse_memory_bytes},
        )
    if kind == "fault":
        raise _engine_fault(message)
    if kind == "unencodable":
        raise TypeError(
            f"parse_with_limits: the result of {fn!r} cannot be sent as JSON: "
            f"{str(message.get('detail'))[:300]}"
        )
    raise DocumentRefused(
        RefusalCode.CORRUPT,
        f"The file could not be read as a Word document and may be damaged; {RESAVE}.",
        detail=str(message.get("detail"))[:300],
        why=Reason.UNREADABLE,
    )


_MAX_REASON = 20_000  # a compilation's refusal lists every proposal's reason
_MAX_FRAMES = 12


def _engine_fault(message: dict[str, Any]) -> EngineFault:
    """The child's report of a bug, logged with a reference the operator can find again (the
    shell tells it to whoever asked), and raised."""
    error = str(message.get("error"))[:100]
    frames = message.get("where")
    where = [str(f)[:200] for f in frames][-_MAX_FRAMES:] if isinstance(frames, list) else []
    reference = secrets.token_hex(4)
    log.error(
        "the documents engine failed in the parsing child (ref %s): %s; traceback, innermost "
        "last: %s",
        reference,
        error,
        " | ".join(where) or "none",
    )
    return EngineFault(error, where[-1] if where else None, reference)


def _message_for_exit(exitcode: int | None) -> dict[str, Any]:
    if exitcode == -signal.SIGXCPU:
        return {"kind": "timeout"}
    if exitcode == -signal.SIGKILL:  # the kernel's out-of-memory killer
        return {"kind": "memory"}
    # Killed by another signal or crashed: as likely the file's doing (a parser taken over) as
    # the platform's, and it says no more.
    log.warning("the parsing child ended with exit code %s, without an answer", exitcode)
    return {"kind": "damaged", "detail": f"the parsing process ended with exit code {exitcode}"}


def start_fork_server() -> None:
    """Start the fork server the children come from (it loads the parser libraries first), if
    it is not running yet; the first `parse_with_limits` does it otherwise. Blocking."""
    context = _context()
    if isinstance(context, ForkServerContext):
        multiprocessing.forkserver.ensure_running()


@functools.cache
def _context() -> ForkServerContext | SpawnContext:
    # Never "fork": the parent may hold threads (the bot's event loop, its executors) and a
    # forked copy of their locks. The fork server starts once, with the parser libraries
    # preloaded (`documents.preload`), and forks each child from that clean process in a few
    # milliseconds; each child then enters its sandbox (`_child_main`).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        preload = ["documents.preload"]
        # A child unpickles its job by first importing the parent's main module: when that is
        # a module run with -m (`python -m bot.cli.main`), preloading it by name saves every child
        # re-importing the whole program (measured: 370 ms → 5 ms a child). `documents.preload`
        # comes first: it quiets the warning runpy then gives in every child.
        main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if main_spec is not None and main_spec.name:
            preload.append(main_spec.name)
        context.set_forkserver_preload(preload)
        return context
    return multiprocessing.get_context("spawn")


def _child_main(
    connection: Connection,
    box: sandbox.Sandbox,
    memory_bytes: int,
    seconds: float,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    try:
        try:
            from documents import preload  # here: it imports this module

            preload.warm_up()  # a no-op in a child of the fork server, which did it
            _limit_resources(memory_bytes, seconds)
            sandbox.enter(box, keep=connection.fileno())
        except BaseException as error:  # the job never runs outside its sandbox
            message = _fault_report(error)
        else:
            message = _run_job(fn, args, kwargs)
        _send_answer(connection, message)
    finally:
        connection.close()


def _run_job(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except DocumentRefused as refusal:
        return {"kind": "refused", "refusal": refusal.to_json()}
    except MemoryError:
        return {"kind": "memory"}
    except BaseException as error:  # the child reports every failure, and then it ends
        # libxml2 reports a failed allocation as a parse error, not a MemoryError.
        if "memory allocation failed" in str(error).lower():
            return {"kind": "memory"}
        # A damaged file is a `DocumentRefused` by the time it leaves the readers
        # (`tracked_changes.read_document` words the errors python-docx and lxml raise for one):
        # anything else is the engine's own fault, whatever the file.
        return _fault_report(error)
    try:
        return {"kind": "ok", "result": wire.encode_result(fn, result)}
    except MemoryError:
        return {"kind": "memory"}
    except TypeError as error:  # the result has no JSON form: a programming error
        return {"kind": "unencodable", "detail": str(error)[:300]}


def _fault_report(error: BaseException) -> dict[str, Any]:
    """A bug's report: its type and where it was raised (file, line, function), never its
    message, which could quote the document."""
    # Without the source lines, which would be read from disk.
    frames = traceback.StackSummary.extract(
        traceback.walk_tb(error.__traceback__), lookup_lines=False
    )
    where = [f"{_short_path(frame.filename)}:{frame.lineno} in {frame.name}" for frame in frames]
    where = where[-_MAX_FRAMES:]
    return {"kind": "fault", "error": type(error).__name__, "where": where}


def _short_path(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


def _send_answer(connection: Connection, message: dict[str, Any]) -> None:
    try:
        data = json.dumps(message, allow_nan=False).encode()
    except MemoryError:
        data = b'{"kind": "memory"}'
    except ValueError as error:  # NaN or infinity in a plain result
        data = json.dumps({"kind": "unencodable", "detail": str(error)[:300]}).encode()
    view = memoryview(data)
    fd = connection.fileno()
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _limit_resources(memory_bytes: int, seconds: float) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # A backstop should the parent die before it can kill the child: CPU time cannot exceed
    # wall-clock time, so this never fires before the parent's timeout does. The hard limit
    # follows, so that the child cannot raise it once it is no longer root.
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = int(seconds) + 2
    if hard_cpu != resource.RLIM_INFINITY:
        cpu = min(cpu, hard_cpu)
    resource.setrlimit(
        resource.RLIMIT_CPU,
        (cpu, cpu + 1 if hard_cpu == resource.RLIM_INFINITY else min(cpu + 1, hard_cpu)),
    )
    # No core dump: it would write the document (and the child's memory) to disk.
