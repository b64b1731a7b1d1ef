"""Workload fingerprints: what a deployed tuner really sees before it tunes.

A fingerprint is the metrics observed under the default config (config key
`default_config`), not under the optimum. Baselines and the RL state share these features,
in this order, so the C fast path gets the same vector.

Two feature sets (config key `features`):

- ``dataplane`` (the default): only what a DPDK application computes in its own loop from
  `rte_eth_stats` and its rx_burst calls, so the deployed fast path can be fed at run time
  (csrc/l2fwd_tune computes exactly these): rx and tx rates, the mean frame size (bytes /
  packets of the rx counters), imissed and tx drops, the rx_burst fill, the empty-poll share,
  cycles per packet (TSC / packets) and the rx ring occupancy (`rte_eth_rx_queue_count`).
- ``dataplane+hardware``: the same plus hardware counters (LLC misses, PCIe, DRAM, DDIO) that
  need perf/PCM access from outside the application; opt-in, and marked in tree.json.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dpdktune.knobs import Knobs, expand_grid

DATAPLANE_FEATURES: tuple[str, ...] = (
    "rx_mpps",
    "throughput_mpps",
    "mean_frame_bytes",
    "imissed_rate",
    "tx_drop_rate",
    "rx_burst_fill",
    "empty_poll_share",
    "cycles_per_packet",
    "rx_ring_occupancy",
)
HARDWARE_FEATURES: tuple[str, ...] = (
    "llc_misses_per_packet",
    "pcie_rd_gbps",
    "pcie_wr_gbps",
    "dram_gbps",
    "ddio_hit_rate",
)
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "dataplane": DATAPLANE_FEATURES,
    "dataplane+hardware": DATAPLANE_FEATURES + HARDWARE_FEATURES,
}
#: The default feature set (what the fast path reads unless the config opts into counters).
FINGERPRINT_FEATURES: tuple[str, ...] = DATAPLANE_FEATURES


def feature_set_name(config: dict[str, Any]) -> str:
    name = config.get("features", "dataplane")
    if name not in FEATURE_SETS:
        raise ValueError(f"features: unknown feature set {name!r}; expected one of {sorted(FEATURE_SETS)}")
    return name


def feature_names(config: dict[str, Any]) -> tuple[str, ...]:
    """The features a policy trained under `config` reads, in order."""
    return FEATURE_SETS[feature_set_name(config)]


def describe_feature_set(names) -> dict[str, Any]:
    """What tree.json records about its inputs: the set's name and whether counters are needed."""
    names = tuple(names)
    kind = next((k for k, v in FEATURE_SETS.items() if v == names), "custom")
    return {
        "name": kind,
        "hardware_counters": [f for f in names if f in HARDWARE_FEATURES],
        "measured_by_the_data_plane": [f for f in names if f in DATAPLANE_FEATURES],
    }


def default_knobs(config: dict[str, Any]) -> Knobs:
    """The config's default point, snapped to the nearest grid point (log2 distance)."""
    want = Knobs(**config["default_config"])
    grid = expand_grid(config["grid"])
    return min(
        grid,
        key=lambda k: sum(
            abs(np.log2(getattr(k, f)) - np.log2(getattr(want, f))) for f in ("rx_desc", "tx_desc", "cores", "burst")
        ),
    )


def feature_frame(records: pd.DataFrame, names=FINGERPRINT_FEATURES) -> pd.DataFrame:
    """The features `names` of each record, in that order; a column the records lack is NaN."""
    frame = records.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["mean_frame_bytes"] = frame["throughput_gbps"] * 125.0 / frame["throughput_mpps"]
    out = frame.reindex(columns=list(names))
    return out.astype(float)


def fingerprints(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """One fingerprint per (workload, trial): the successful records at the default config."""
    knobs = default_knobs(config)
    at_default = records[
        (records.status == "ok")
        & (records.rx_desc == knobs.rx_desc)
        & (records.tx_desc == knobs.tx_desc)
        & (records.cores == knobs.cores)
        & (records.burst == knobs.burst)
    ]
    features = feature_frame(at_default, feature_names(config))
    features.index = pd.MultiIndex.from_arrays([at_default.workload, at_default.trial])
    return features.sort_index()
