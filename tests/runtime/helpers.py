"""A tiny runtime config and scenario: 12 configs, 3 training workloads, 2 load levels."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from dpdktune.config import load_config

REPO = Path(__file__).resolve().parents[2]
TINY = {
    "workloads": ["imix", "kv", "web"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [256, 1024], "cores": [1, 2, 4], "burst": [32]},
    "default_config": {"rx_desc": 1024, "tx_desc": 1024, "cores": 4, "burst": 32},
    "runtime": {"load_levels": [0.2, 1.0], "distill_every_s": 60.0, "checkpoint_every_s": 30.0},
}


def write_yaml(data, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def tiny_config(tmp_path: Path, **runtime) -> tuple[dict, Path]:
    data = {**TINY, "runtime": {**TINY["runtime"], **runtime}}
    path = write_yaml(data, tmp_path / "tiny.yaml")
    return load_config(path), path


def scenario(tmp_path: Path, phases) -> Path:
    return write_yaml({"phases": phases}, tmp_path / "scenario.yaml")


#: two known workloads, then one the model never saw (video is not in TINY's workloads)
SHIFT_AND_NOVEL = [
    {"workload": "imix", "duration_s": 40, "load_scale": 1.0},
    {"workload": "kv", "duration_s": 40, "load_scale": 0.2},
    {"inject": {"workload": "video", "duration_s": 60, "load_scale": 1.0}},
]


def cli_env() -> dict[str, str]:
    """The environment a `python -m dpdktune.cli` subprocess imports this checkout's package in."""
    return {**os.environ, "PYTHONPATH": str(REPO / "workflow")}


def run_command(scn: Path, cfg: Path, duration: float, *extra: str) -> list[str]:
    """`dpdktune run` on scenario `scn` for `duration` seconds under config `cfg`, plus `extra`."""
    return [
        sys.executable,
        "-m",
        "dpdktune.cli",
        "run",
        "--scenario",
        str(scn),
        "--duration-s",
        str(duration),
        "--configfile",
        str(cfg),
        *extra,
    ]
