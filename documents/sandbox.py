"""Where the parsing child begins its work: it keeps nothing of the platform's (issue #9).

The child parses files from anyone in the working group; should one of them take over the
parser, it must find nothing worth having. It is forked by the fork server, a copy of that
server, which was started with the environment of the process that runs plenaria. Before it
reads a byte of the job, the child, in `enter(sandbox, keep)`:

1. closes every file descriptor but standard error and the one that carries its answer back,
   and reads standard input from, and writes standard output to, `/dev/null`;
2. empties its environment (where `PLENARIA_BOT__PASSWORD` and the like may be): the values are
   overwritten in memory, then the environment block the kernel gave the fork server, and only
   a fixed, minimal environment is set;
3. moves into an empty working directory made for it alone (the parent makes it and removes
   it), which is also its `TMPDIR`, its import path made absolute first;
4. when started as root, drops for good to an unprivileged user (`nobody`): no supplementary
   groups, its group, then its user, then no way back (`PR_SET_NO_NEW_PRIVS`) and no way in for
   another process of that user (`PR_SET_DUMPABLE` 0). Whatever only root may read — the
   platform's secrets, its database, the E2EE store — is then out of its reach.

Anything the job reads lazily from disk must be loaded before the last step
(`documents.preload`), since the unprivileged user may not be able to read the Python
installation. If any step fails, the job does not run.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import pwd
import resource
import shutil
import sys
import tempfile
from dataclasses import dataclass

__all__ = [
    "MINIMAL_ENVIRONMENT",
    "Sandbox",
    "enter",
    "libc",
    "remove_workdir",
    "sandbox_for_child",
]

# What the child's environment holds, and nothing else.
MINIMAL_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
_UNPRIVILEGED_USER = "nobody"
_FALLBACK_ID = 65534  # nobody/nogroup on Linux, when the password database has no "nobody"
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class Sandbox:
    """Where a child works and as whom: `uid`/`gid` are None when the parent is not root (and
    so has no other user to become)."""

    workdir: str
    uid: int | None
    gid: int | None


@functools.cache
def _unprivileged_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(_UNPRIVILEGED_USER)
    except KeyError:
        return _FALLBACK_ID, _FALLBACK_ID
    return entry.pw_uid, entry.pw_gid


def sandbox_for_child() -> Sandbox:
    """Called in the parent: an empty working directory for one child, owned by the user the
    child will be. The caller removes it (`remove_workdir`) once the child has ended."""
    workdir = tempfile.mkdtemp(prefix="plenaria-parse-")
    if os.geteuid() != 0:
        return Sandbox(workdir, None, None)
    uid, gid = _unprivileged_ids()
    os.chown(workdir, uid, gid)
    return Sandbox(workdir, uid, gid)


def remove_workdir(sandbox: Sandbox) -> None:
    """Called in the parent once the child has ended: its working directory goes, with whatever
    the child left in it."""
    try:
        os.rmdir(sandbox.workdir)  # empty, as it almost always is: the cheap way
    except OSError:
        shutil.rmtree(sandbox.workdir, ignore_errors=True)


def enter(sandbox: Sandbox, keep: int) -> None:
    """Called in the child, first thing: see the module's docstring. `keep` is the descriptor
    of the answer."""
    os.umask(0o077)
    _close_descriptors(keep)
    # The fork server runs `python -c`, so "" (the working directory) leads its import path: it
    # must not come to mean the sandbox's directory, where another process of the same user
    # could put a module.
    sys.path[:] = [os.path.abspath(entry) for entry in sys.path]
    os.chdir(sandbox.workdir)
    _empty_environment()
    os.environ.update(MINIMAL_ENVIRONMENT)
    os.environ["HOME"] = os.environ["TMPDIR"] = sandbox.workdir
    tempfile.tempdir = sandbox.workdir
    if sandbox.uid is not None and sandbox.gid is not None:
        _drop_privileges(sandbox.uid, sandbox.gid)


def _close_descriptors(keep: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    for fd in _open_descriptors():
        if fd > 2 and fd != keep:
            # The directory listing's own descriptor is among them, already closed.
            with contextlib.suppress(OSError):
                os.close(fd)


def _open_descriptors() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return list(range(3, min(soft, 65536) if soft != resource.RLIM_INFINITY else 65536))


# Where the bytes of a `bytes` object start, past its header (CPython's `ob_sval`).
_BYTES_DATA = bytes.__basicsize__ - 1


def _wipe(value: bytes) -> None:
    """Overwrite the contents of a `bytes` object in place. Empty and one-byte values are shared
    singletons in CPython and hold no secret: they are left alone."""
    if len(value) < 2 or type(value) is not bytes:
        return
    address = id(value) + _BYTES_DATA
    if ctypes.string_at(address, len(value)) == value:  # the layout is what we think it is
        ctypes.memset(address, 0, len(value))


def _empty_environment() -> None:
    for value in list(os.environb.values()):
        _wipe(value)
    os.environ.clear()
    start, end = _environment_block()
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def _environment_block() -> tuple[int, int]:
    """Where the kernel put the environment of the program it started (the fork server), of
    which the child has a copy: fields 50 and 51 of /proc/self/stat (Linux 3.5 and later)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        # fields[0] is field 3 (the state).
        return int(fields[50 - 3]), int(fields[51 - 3])
    except (OSError, IndexError, ValueError):
        return 0, 0


def _drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise RuntimeError("the parsing child could not drop its privileges")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise RuntimeError("the parsing child could become root again")
    c = libc()
    if c is not None and hasattr(c, "prctl"):
        c.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        c.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library, through the running program's own symbols (no search on disk)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
