"""Workload fingerprints: what a deployed tuner really sees before it tunes.

A fingerprint is the metrics observed under the default config (config key
`default_config`), not under the optimum. Baselines (issue #4) and the RL state (issue #5)
share these features, in this order, so the C fast path gets the same vector.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dpdktune.knobs import Knobs, expand_grid

FINGERPRINT_FEATURES: tuple[str, ...] = (
    "offered_mpps",
    "throughput_mpps",
    "mean_frame_bytes",
    "drop_rate",
    "latency_p50_us",
    "latency_p99_us",
    "cycles_per_packet",
    "useful_cycles_fraction",
    "llc_misses_per_packet",
    "pcie_rd_gbps",
    "pcie_wr_gbps",
    "dram_gbps",
    "ddio_hit_rate",
)


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


def feature_frame(records: pd.DataFrame) -> pd.DataFrame:
    """The fingerprint features of each record, in FINGERPRINT_FEATURES order."""
    frame = records.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["mean_frame_bytes"] = frame["throughput_gbps"] * 125.0 / frame["throughput_mpps"]
    return frame.loc[:, list(FINGERPRINT_FEATURES)].astype(float)


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
    features = feature_frame(at_default)
    features.index = pd.MultiIndex.from_arrays([at_default.workload, at_default.trial])
    return features.sort_index()
