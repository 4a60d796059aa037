"""`plenaria run` holds neither the registration shared secret nor an admin password.

The running bot's code does not even load the module that reads the secret (checked in a fresh
interpreter), the deployment gives the running service neither (compose and systemd), and the
Synapse of the tests and the demo applies the deployed password policy itself, read from
`deploy/homeserver.yaml`. The integration tests show the same of a running bot whose secret file
cannot be opened (tests/integration/test_governance_commands.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.accounts.passwords import admin_password, registration_secret
from bot.demo.synapse_server import (
    DEPLOYED_HOMESERVER,
    LocalSynapse,
    SynapseError,
    deployed_password_config,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_the_running_bot_does_not_load_the_accounts_code() -> None:
    script = (
        "import json, sys, bot.cli.main, bot.runtime.app, bot.governance.service\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('bot.'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    loaded = json.loads(result.stdout)
    assert "bot.governance.service" in loaded
    # The code that reads the secret and holds the admin's password is in bot.accounts, none
    # of which the running bot loads.
    assert registration_secret.__module__.startswith("bot.accounts.")
    assert admin_password.__module__.startswith("bot.accounts.")
    assert [m for m in loaded if m == "bot.accounts" or m.startswith("bot.accounts.")] == []
    assert "bot.cli.accounts" not in loaded


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def test_compose_gives_the_shared_secret_to_accounts_never_to_the_running_bot() -> None:
    services = _compose()["services"]
    running, accounts = services["plenaria"], services["accounts"]
    assert "registration_shared_secret" not in running["secrets"]
    assert "10990" not in [str(g) for g in running.get("group_add", [])]
    assert not any("secrets/accounts" in volume for volume in running["volumes"])
    assert "registration_shared_secret" in accounts["secrets"]
    assert accounts["profiles"] == ["tools"], "never started by `docker compose up`"
    assert accounts["entrypoint"] == ["plenaria", "accounts"]
    # Its data_dir, where the initial passwords land, is a folder the running bot never mounts.
    data_dir = accounts["environment"]["PLENARIA_DATA_DIR"]
    assert any(v.endswith(":" + data_dir) for v in accounts["volumes"])
    assert not any(data_dir in v for v in running["volumes"])


def test_systemd_hides_the_accounts_folder_from_the_running_bot() -> None:
    unit = (DEPLOY / "plenaria.service").read_text(encoding="utf-8").splitlines()
    assert "InaccessiblePaths=-/etc/plenaria/accounts" in unit
    config = (DEPLOY / "config.yaml").read_text(encoding="utf-8")
    assert "systemd: /etc/plenaria/accounts/registration-shared-secret" in config


def test_the_local_synapse_applies_the_deployed_password_policy(tmp_path: Path) -> None:
    deployed = yaml.safe_load(DEPLOYED_HOMESERVER.read_text(encoding="utf-8"))
    assert DEPLOYED_HOMESERVER == DEPLOY / "homeserver.yaml"
    config = LocalSynapse(tmp_path, "test.plenaria", 8008).homeserver_config()
    assert config["password_config"] == deployed["password_config"]
    policy = config["password_config"]["policy"]
    assert policy["enabled"] is True and policy["minimum_length"] >= 12
    assert all(policy[f"require_{kind}"] for kind in ("digit", "symbol", "lowercase", "uppercase"))


def test_a_missing_template_stops_the_local_synapse_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SynapseError, match="takes its password policy from it"):
        deployed_password_config(tmp_path / "homeserver.yaml")
