"""Provenance stamped into every Parquet file's key-value metadata."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from dpdktune import __version__

_REPO_ROOT = Path(__file__).resolve().parents[3]


def git_commit() -> str:
    """The repo's HEAD commit, with "-dirty" when the work tree has changes; "unknown" outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=_REPO_ROOT, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=_REPO_ROOT, capture_output=True, text=True, timeout=10,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def config_hash(config: dict[str, Any]) -> str:
    """A short, stable hash of a config mapping (key order does not matter)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def provenance(
    *, config: dict[str, Any], backend: str, backend_version: str, hardware: str, seed: int
) -> dict[str, str]:
    """The metadata every Parquet file carries (issue #2 §4)."""
    return {
        "dpdktune_version": __version__,
        "git_commit": git_commit(),
        "config_hash": config_hash(config),
        "backend": backend,
        "backend_version": backend_version,
        "hardware": hardware,
        "seed": str(seed),
    }
