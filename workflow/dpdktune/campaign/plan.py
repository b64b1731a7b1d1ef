"""What a config asks for: the campaign id, and every run of every workload with its seed."""

from __future__ import annotations

import hashlib
from typing import Any

from dpdktune.backends.base import RunSpec
from dpdktune.hardware import HardwareProfile, load_hardware
from dpdktune.knobs import expand_grid
from dpdktune.metrics.provenance import config_hash
from dpdktune.workloads import Workload, definitions_digest, workloads_of

#: The config keys that change what a run measures; analysis settings do not.
RUN_KEYS = ("backend", "hardware", "workloads", "grid", "trials", "seed")


def run_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of the config that determines the measurements (hashed into the campaign id)."""
    subset = {k: config[k] for k in RUN_KEYS}
    subset[config["backend"]] = config.get(config["backend"], {})
    return subset


def campaign_id(config: dict[str, Any]) -> str:
    run = run_config(config)
    if isinstance(config["workloads"], list):
        # what the names stand for: a changed definition or trace starts a new campaign
        # (generated workloads are defined by their {count, seed}, already in run_config)
        run = {**run, "workload_definitions": definitions_digest(campaign_workloads(config))}
    return f"{config['campaign']}-{config_hash(run)[:10]}"


def _seed_key(config: dict[str, Any]) -> str:
    """What run seeds derive from: the run keys, not the workloads' definitions, so that
    variants of a definition draw the same noise (common random numbers)."""
    return f"{config['campaign']}-{config_hash(run_config(config))[:10]}"


def _stable_int(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:6], "big")


def workload_runs(config: dict[str, Any], workload: Workload, hardware: HardwareProfile) -> list[RunSpec]:
    """Every run of one workload, in grid order then trial; ids and seeds are stable."""
    seed_key = _seed_key(config)
    specs = []
    for knobs in expand_grid(config["grid"]):
        for trial in range(config["trials"]):
            key = (workload.name, knobs.rx_desc, knobs.tx_desc, knobs.cores, knobs.burst, trial)
            run_id = f"{workload.name}-r{knobs.rx_desc}-t{knobs.tx_desc}-c{knobs.cores}-b{knobs.burst}-{trial}"
            specs.append(
                RunSpec(
                    run_id=run_id,
                    workload=workload,
                    hardware=hardware,
                    knobs=knobs,
                    trial=trial,
                    seed=_stable_int(seed_key, config["seed"], *key),
                )
            )
    return specs


def campaign_workloads(config: dict[str, Any]) -> list[Workload]:
    return workloads_of(config)


def expected_runs(config: dict[str, Any]) -> int:
    return len(campaign_workloads(config)) * len(expand_grid(config["grid"])) * config["trials"]


def load_campaign_hardware(config: dict[str, Any]) -> HardwareProfile:
    return load_hardware(config["hardware"])
