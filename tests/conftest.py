"""The order the whole suite runs in: the longest integration modules first.

`make test` spreads the modules over two processes (pytest-xdist, `--dist loadfile`), which hand
out modules in collection order; a long module collected last would run alone at the end while
the other process idles. Each module's tests keep their order.
"""

from __future__ import annotations

import pytest

# The modules that take a minute or more (crash tests with a real SIGKILL, the whole demo).
LONGEST_FIRST = (
    "integration/test_demo.py",
    "integration/test_rounds_crash.py",
    "integration/test_provisioning_crash.py",
    "integration/test_backup.py",
    "integration/test_rounds.py",
    "integration/test_resilience.py",
    "integration/test_intake_crash.py",
    "integration/test_accounts_cli.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(f"{item.path.parent.name}/{item.path.name}", len(rank)))
