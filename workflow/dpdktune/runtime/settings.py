"""The `runtime` config section as the plain dict the runtime reads (defaults: dpdktune/sections.py)."""

from __future__ import annotations

import hashlib
import json
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


def settings_digest(*parts: Any) -> str:
    """A short hash of what a run's results depend on, which a checkpoint must match to be resumed."""
    basis = json.dumps(list(parts), sort_keys=True, default=str)
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def segments_basis(segments) -> list[tuple]:
    """A scenario's segments as the digest reads them."""
    return [(g.start_s, g.duration_s, g.workload, g.load_scale) for g in segments]
