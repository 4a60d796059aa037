"""deploy/prometheus/ passes Debian's promtool: the scrape configuration and the alert rules are
valid, and the rules' unit tests (alerts.test.yml) pass: each alert fires on its fault and none
fires while the platform is healthy. A rule made wrong on purpose fails them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def _promtool(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: `make servers` installs Debian's prometheus"
    return subprocess.run(
        [promtool, *args], cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )


def _alerts() -> set[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"]}


def _cases() -> list[dict[str, Any]]:
    return list(yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"])


def test_promtool_accepts_the_configuration_and_the_rules_pass_their_tests(
    tmp_path: Path,
) -> None:
    config = _promtool(PROMETHEUS, "check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = _promtool(PROMETHEUS, "check", "rules", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    tested = _promtool(PROMETHEUS, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr

    # Every alert is tested both ways: quiet on the healthy platform, firing on its fault.
    healthy, *faults = _cases()
    assert {case["alertname"] for case in healthy["alert_rule_test"]} == _alerts()
    assert all(not case["exp_alerts"] for case in healthy["alert_rule_test"])
    fired = {c["alertname"] for f in faults for c in f["alert_rule_test"] if c["exp_alerts"]}
    assert fired == _alerts()

    # The tests have teeth: an alert that can no longer fire fails them.
    broken = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, broken)
    rules_file = broken / "alerts.yml"
    text = rules_file.read_text()
    assert "expr: plenaria_provisioning_failed == 1" in text
    rules_file.write_text(
        text.replace("plenaria_provisioning_failed == 1", "plenaria_provisioning_failed == 2")
    )
    failed = _promtool(broken, "test", "rules", "alerts.test.yml")
    assert failed.returncode != 0 and "PlenariaProvisioningFailed" in failed.stdout + failed.stderr
