"""The exit codes of every `plenaria` command (SPEC §7), in one place.

0 done; 1 refused (the reason on standard error, one line per reason); 2 usage or configuration
error (one line); 3 a fault of plenaria itself, not of the input (said as such on standard error).
"""

from __future__ import annotations

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_FAULT = 0, 1, 2, 3
