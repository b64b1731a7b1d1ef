"""Load and check a dpdktune config: the JSON schema first, then the facts a schema cannot see."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dpdktune.paths import project_file

CONFIG_DIR = project_file("config")
DEFAULT_CONFIG = project_file("config/config.yaml")
SCHEMA_FILE = project_file("config/schema.yaml")


class ConfigError(ValueError):
    """A bad config value; the message starts with the key's path."""


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, recursing into mappings (as Snakemake merges --configfile)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def check_schema(config: dict[str, Any]) -> None:
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{_key_path(e.absolute_path)}: {e.message}" for e in errors]
        raise ConfigError("invalid config:\n  " + "\n  ".join(lines))


def check_semantics(config: dict[str, Any]) -> None:
    """What the schema cannot check: names that must exist, and limits of the hardware."""
    from dpdktune.hardware import load_hardware
    from dpdktune.workloads import workloads_of

    try:
        hardware = load_hardware(config["hardware"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    try:
        workloads_of(config)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    for axis in ("rx_desc", "tx_desc"):
        for i, n in enumerate(config["grid"][axis]):
            if n > hardware.nic_max_desc:
                raise ConfigError(
                    f"grid.{axis}.{i}: {n} exceeds the NIC's maximum of {hardware.nic_max_desc} "
                    f"descriptors on hardware profile {hardware.name!r}"
                )
    if config["decision"]["maybe"] > config["decision"]["go"]:
        raise ConfigError("decision.maybe: must not exceed decision.go")


def load_config(*override_files: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The defaults, with each override file and then `overrides` merged on top, checked."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for path in override_files:
        config = deep_merge(config, yaml.safe_load(Path(path).read_text()) or {})
    if overrides:
        config = deep_merge(config, overrides)
    check_schema(config)
    check_semantics(config)
    return config
