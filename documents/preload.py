"""What the parsing child needs loaded before it enters its sandbox (issue #9).

The fork server imports this module before it forks any child, so every child starts with the
parser libraries, the engine and the data they read lazily already in memory (and a child
started without a fork server calls `warm_up()` itself, before its sandbox). That is speed, and
it is also necessary: once a child has become an unprivileged user it may not be able to read
the Python installation (a `/root/.pyenv` in a 0700 home, say), so nothing it needs may be left
to a lazy import or a first read from disk.
"""

from __future__ import annotations

import codecs
import functools
import warnings

import docx  # noqa: F401  (loaded for the children)
import pycountry

# Loaded for the children: the engine and its gate, and where a child starts.
import documents.jobs
import documents.parsing_child  # noqa: F401
from documents import sandbox

__all__ = ["warm_up"]

# A child re-runs the parent's main module as `__mp_main__` to unpickle its job; when that module
# was preloaded in the fork server too (see `parsing_child._context`), runpy warns that it is
# already imported. Harmless, and said on standard error of every `python -m bot.cli.main`
# command: quiet it. This module is the fork server's first preload, so the filter is set in
# the fork server before any child is forked, and every child inherits it.
warnings.filterwarnings(
    "ignore",
    message=r".* found in sys\.modules after import of package .*",
    category=RuntimeWarning,
)

# The codecs the gate and the readers look up by name: the XML encodings Open Packaging
# Conventions allow, and zipfile's for part names not flagged UTF-8.
_CODECS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp437", "ascii", "latin-1")


@functools.cache
def warm_up() -> None:
    for name in _CODECS:
        codecs.lookup(name)
        codecs.getincrementaldecoder(name)
    pycountry.countries.get(alpha_2="AG")  # the ISO 3166 table is read on first use
    sandbox.libc()


warm_up()
