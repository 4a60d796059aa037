"""Element Web as the platform serves it (issue #13, item 4): deploy/element/config.json uses only
options Element Web documents (tests/unit/element_web_options.json records them, with where they
came from), and says what the platform needs: this homeserver only, no guests, no integration
manager, no URL previews, insecure devices excluded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "element" / "config.json"
HOMESERVER = ROOT / "deploy" / "homeserver.yaml"
SITE = ROOT / "deploy" / "nginx" / "plenaria.conf"
DOCUMENTED = Path(__file__).with_name("element_web_options.json")


def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(CONFIG.read_text(encoding="utf-8"))
    return config


def _documented() -> dict[str, Any]:
    documented: dict[str, Any] = json.loads(DOCUMENTED.read_text(encoding="utf-8"))
    return documented


def _homeserver() -> dict[str, Any]:
    homeserver: dict[str, Any] = yaml.safe_load(HOMESERVER.read_text(encoding="utf-8"))
    return homeserver


def _unknown_keys(value: Any, documented: Any, path: str) -> list[str]:
    """Keys of `value` that the documentation does not define under `path`, recursively."""
    if documented is None or not isinstance(value, dict):
        return []
    if isinstance(documented, list):
        return [f"{path}.{key}" for key in value if key not in documented]
    unknown = []
    for key, sub in value.items():
        if key not in documented:
            unknown.append(f"{path}.{key}")
        else:
            unknown += _unknown_keys(sub, documented[key], f"{path}.{key}")
    return unknown


def test_every_key_is_a_documented_option() -> None:
    documented = _documented()
    options = documented["options"]
    config = _config()
    assert documented["documentation"]["repository"] == "element-hq/element-web"
    unknown = [key for key in config if key not in options]
    for key, value in config.items():
        if key in options:
            unknown += _unknown_keys(value, options[key], key)
    assert unknown == []


def test_every_setting_name_is_defined_by_element() -> None:
    documented = _documented()
    settings = documented["settings"]
    config = _config()
    for name in config["features"]:
        assert settings[name]["feature"] is True, name
        assert "config" in settings[name]["supported_levels"], name
    for name in config["setting_defaults"]:
        assert name in settings, name
        assert settings[name]["feature"] is False, name
        assert "config" in settings[name]["supported_levels"], name
        if name.startswith("UIFeature."):
            assert name in documented["ui_features"], name


def test_this_homeserver_only() -> None:
    config = _config()
    homeserver = _homeserver()
    base_url = homeserver["public_baseurl"].rstrip("/")
    assert config["default_server_config"] == {"m.homeserver": {"base_url": base_url}}
    assert config["disable_custom_urls"] is True
    assert "default_server_name" not in config and "default_hs_url" not in config
    assert config["room_directory"] == {"servers": [homeserver["server_name"]]}
    assert config["enable_presence_by_hs_url"] == {base_url: False}
    assert config["default_federate"] is False
    # Element's own host is the one the front door serves it on.
    element_host = config["permalink_prefix"].removeprefix("https://")
    assert re.search(rf"server_name {re.escape(element_host)};", SITE.read_text())


def test_no_guests_integrations_or_previews() -> None:
    config = _config()
    assert config["disable_guests"] is True
    for key in ("integrations_ui_url", "integrations_rest_url", "integrations_widgets_urls"):
        assert config[key] is None, key  # "To disable integrations, set the options to null"
    assert config["setting_defaults"]["UIFeature.urlPreviews"] is False
    assert config["setting_defaults"]["urlPreviewsEnabled"] is False
    assert _homeserver()["url_preview_enabled"] is False


def test_insecure_devices_excluded_and_the_platform_named() -> None:
    config = _config()
    assert config["features"] == {"feature_exclude_insecure_devices": True}
    levels = _documented()["settings"]["feature_exclude_insecure_devices"]["supported_levels"]
    assert levels[0] == "config"  # config.json's value comes before the person's own
    assert config["brand"] == "plenaria"
    # No option limits Element's languages; the login page keeps its language selector so that
    # each person can pick English, Spanish, French or Portuguese before signing in.
    assert config["disable_login_language_selector"] is False
