"""The objective a tuner maximises, computed from experiment records (config key `objective`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

OBJECTIVES = ("throughput_mpps", "zero_loss_mpps", "p99_slo_mpps", "mpps_per_core")


def objective_values(records: pd.DataFrame, config: dict[str, Any]) -> pd.Series:
    """The objective of each successful record (higher is better); failed runs give NaN.

    - throughput_mpps: forwarded Mpps.
    - zero_loss_mpps: forwarded Mpps if the drop rate is at most `zero_loss_drop_rate`, else 0.
    - p99_slo_mpps: forwarded Mpps if p99 latency meets `slo_p99_us`, else 0.
    - mpps_per_core: forwarded Mpps per applied core (efficiency).
    """
    name = config["objective"]
    mpps = records["throughput_mpps"].astype(float)
    if name == "throughput_mpps":
        value = mpps
    elif name == "zero_loss_mpps":
        value = mpps.where(records["drop_rate"] <= config["zero_loss_drop_rate"], 0.0)
    elif name == "p99_slo_mpps":
        value = mpps.where(records["latency_p99_us"] <= config["slo_p99_us"], 0.0)
    elif name == "mpps_per_core":
        cores = records["applied_cores"].fillna(records["cores"]).astype(float)
        value = mpps / cores
    else:
        raise ValueError(f"objective: unknown objective {name!r}; expected one of {OBJECTIVES}")
    return value.where(records["status"] == "ok", np.nan).rename("objective")


def objective_table(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Mean objective over trials: one row per workload, one column per config index."""
    from dpdktune.knobs import expand_grid

    grid = expand_grid(config["grid"])
    index = {k: i for i, k in enumerate(grid)}
    frame = records.assign(objective=objective_values(records, config))
    frame["config_index"] = config_indices(frame, index)
    table = frame.pivot_table(index="workload", columns="config_index", values="objective", aggfunc="mean")
    return table.reindex(columns=range(len(grid)))


def config_indices(frame: pd.DataFrame, index: dict) -> list[int | None]:
    """Each record's index into the grid (the RL action space); None if off the grid."""
    from dpdktune.knobs import Knobs

    return [
        index.get(Knobs(int(r), int(t), int(c), int(b)))
        for r, t, c, b in zip(frame.rx_desc, frame.tx_desc, frame.cores, frame.burst)
    ]
