"""The `runtime` config section as the plain dict the runtime reads (defaults: dpdktune/sections.py)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from dpdktune.sections import RuntimeSettings

#: the evaluation's own keys (`snakemake evaluation`), in the same section
EVAL_KEYS = tuple(f.name for f in fields(RuntimeSettings) if f.name.startswith("eval_"))


def runtime_settings(config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The runtime's keys with defaults filled in; `overrides` (None = not given) are checked
    against the schema as a config file's values are."""
    from dpdktune.config import check_section

    raw = {k: v for k, v in (config.get("runtime") or {}).items() if k not in EVAL_KEYS}
    given = {k: v for k, v in overrides.items() if v is not None}
    if given:
        check_section("runtime", {**raw, **given})
    raw.update(given)
    if any(k in EVAL_KEYS for k in raw):
        raise ValueError(f"runtime.{next(k for k in raw if k in EVAL_KEYS)}: not a runtime setting")
    settings = RuntimeSettings.from_config(raw).to_dict()
    return {k: v for k, v in settings.items() if k not in EVAL_KEYS}


def eval_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The evaluation's keys of the `runtime` section, defaults filled in."""
    settings = RuntimeSettings.from_config(config.get("runtime")).to_dict()
    return {k: settings[k] for k in EVAL_KEYS}
