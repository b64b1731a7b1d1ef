"""The objective a tuner maximises, computed from experiment records (config key `objective`).

The operator objective `cores_at_slo` (the default) ranks configs the way a capacity planner
does: carry the offered load within the SLO (loss <= `slo.loss`, p99 <= `slo.p99_us`) on the
fewest cores, then at the lowest p99, then with the smallest rings; where no config carries
the load, the most goodput. It is one number per run, higher is better, on a ratio scale:

    value = goodput / charged_cores * tie
    goodput        = offered_mpps * (1 - drop_rate)               (delivered Mpps)
    charged_cores  = cores ** c * max_cores ** (1 - c)            (geometric blend)
    c              = exp(-excess_loss / slo.loss_tolerance - excess_p99 / slo.p99_tolerance)
    excess_loss    = max(0, drop_rate - slo.loss)                 (share of packets)
    excess_p99     = max(0, ln(p99 / slo.p99_us))                 (log ratio)
    tie            = (1 - 0.02 * p99 / (p99 + slo.p99_us)) * (1 - 0.005 * ring_share)

A run within the SLO (c = 1) is charged its own cores, so between two such configs the ratio
of values is the inverse ratio of their cores: "x % below the oracle" is the share of cores a
tuner saves. A run far outside the SLO (c -> 0) is charged the grid's largest core count, so
it always ranks below any config that carries the load, and among configs that all miss the
SLO the ratio is the ratio of delivered goodput. Between the two, the SLO compliance c moves
the charge continuously: one OS stall that loses 0.2 % of the packets in a short window costs
the run a few tens of percent, never the drop to the bottom that a pass/fail gate gives. The
tie factor (at most 2.5 %) orders configs with equal cores by p99, then by ring size.
See docs/objectives.md for the choice of scale and its alternatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dpdktune.sections import section

#: Every objective; `cores_at_slo` is the operator view and the default headline.
OBJECTIVES = ("cores_at_slo", "slo_goodput_per_core", "throughput_mpps", "zero_loss_mpps", "p99_slo_mpps")
#: What each objective measures, for the report.
LABELS = {
    "cores_at_slo": "fewest cores carrying the load within the SLO",
    "slo_goodput_per_core": "goodput within the SLO per core",
    "throughput_mpps": "forwarded Mpps",
    "zero_loss_mpps": "Mpps, discounted by loss beyond the SLO",
    "p99_slo_mpps": "Mpps, discounted by p99 beyond the SLO",
}
#: Replaced config keys and objective names, with what replaces them.
RENAMED = {"slo_p99_us": "slo.p99_us", "zero_loss_drop_rate": "slo.loss", "mpps_per_core": "slo_goodput_per_core"}
_TIE_P99, _TIE_RINGS = 0.02, 0.005
#: Below this compliance a run counts as outside the SLO for the "within SLO" objectives: their
#: value is 0 there, so a workload that no config serves within the SLO carries no ratio.
_OUTSIDE = 1e-3


def slo(config: dict[str, Any]) -> dict[str, float]:
    """The config's SLO section with its defaults filled in."""
    return section(config, "slo").to_dict()


def check_objective_config(config: dict[str, Any]) -> None:
    """One-line errors for replaced keys and objective names."""
    for key in ("slo_p99_us", "zero_loss_drop_rate"):
        if key in config:
            raise ValueError(f"{key}: replaced by {RENAMED[key]}; move the value there")
    name = config.get("objective")
    if name in RENAMED:
        raise ValueError(f"objective: {name} was replaced by {RENAMED[name]}")
    if name not in OBJECTIVES:
        raise ValueError(f"objective: unknown objective {name!r}; expected one of {OBJECTIVES}")


def compliance(drop_rate, p99_us, config: dict[str, Any]) -> np.ndarray:
    """SLO compliance in [0, 1]: 1 within the SLO, falling exponentially with the excess."""
    s = slo(config)
    d = np.asarray(drop_rate, dtype=float)
    p = np.asarray(p99_us, dtype=float)
    excess_loss = np.maximum(0.0, d - s["loss"])
    with np.errstate(divide="ignore", invalid="ignore"):
        excess_p99 = np.maximum(0.0, np.log(p / s["p99_us"]))
    return np.exp(-excess_loss / s["loss_tolerance"] - excess_p99 / s["p99_tolerance"])


def _within(c: np.ndarray) -> np.ndarray:
    return np.where(c < _OUTSIDE, 0.0, c)


def _ring_share(rx, tx, config: dict[str, Any]) -> np.ndarray:
    """log2(rx * tx) scaled to [0, 1] over the grid (0 = smallest rings)."""
    grid = config["grid"]
    lo = np.log2(min(grid["rx_desc"]) * min(grid["tx_desc"]))
    hi = np.log2(max(grid["rx_desc"]) * max(grid["tx_desc"]))
    x = np.log2(np.asarray(rx, float) * np.asarray(tx, float))
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(x)


def values(name: str, metrics: dict[str, Any], cores, rx, tx, config: dict[str, Any]) -> np.ndarray:
    """Objective `name` from metric arrays (or scalars): the one definition every caller shares."""
    mpps = np.asarray(metrics["throughput_mpps"], dtype=float)
    d = np.asarray(metrics["drop_rate"], dtype=float)
    p99 = np.asarray(metrics["latency_p99_us"], dtype=float)
    cores = np.asarray(cores, dtype=float)
    s = slo(config)
    if name == "throughput_mpps":
        return mpps
    if name == "zero_loss_mpps":
        return mpps * _within(compliance(d, np.zeros_like(p99) + s["p99_us"], config))
    if name == "p99_slo_mpps":
        return mpps * _within(compliance(np.zeros_like(d), p99, config))
    goodput = np.asarray(metrics["offered_mpps"], dtype=float) * (1.0 - d)
    c = compliance(d, p99, config)
    if name == "slo_goodput_per_core":
        return goodput * _within(c) / cores
    if name == "cores_at_slo":
        max_cores = float(max(config["grid"]["cores"]))
        charged = cores**c * max_cores ** (1.0 - c)
        tie = (1.0 - _TIE_P99 * p99 / (p99 + s["p99_us"])) * (1.0 - _TIE_RINGS * _ring_share(rx, tx, config))
        return goodput / charged * tie
    check_objective_config({"objective": name})
    raise AssertionError("unreachable")


def objective_values(records: pd.DataFrame, config: dict[str, Any], name: str | None = None) -> pd.Series:
    """The objective of each successful record (higher is better); failed runs give NaN.

    `name` defaults to the config's `objective`. The applied core count is used where the
    backend reports one (a DUT may run fewer cores than requested).
    """
    name = name or config["objective"]
    cores = records["applied_cores"].fillna(records["cores"]) if "applied_cores" in records else records["cores"]
    value = values(name, records, cores, records["rx_desc"], records["tx_desc"], config)
    return pd.Series(value, index=records.index).where(records["status"] == "ok", np.nan).rename("objective")


def objective_table(records: pd.DataFrame, config: dict[str, Any], name: str | None = None) -> pd.DataFrame:
    """Mean objective over trials: one row per workload, one column per config index."""
    return _pivot(records, config, name, ["workload"])


def trial_table(records: pd.DataFrame, config: dict[str, Any], name: str | None = None) -> pd.DataFrame:
    """The objective of each trial: one row per (workload, trial), one column per config index."""
    return _pivot(records, config, name, ["workload", "trial"])


def _pivot(records: pd.DataFrame, config: dict[str, Any], name: str | None, index: list[str]) -> pd.DataFrame:
    from dpdktune.knobs import expand_grid

    grid = expand_grid(config["grid"])
    lookup = {k: i for i, k in enumerate(grid)}
    frame = records.assign(objective=objective_values(records, config, name))
    frame["config_index"] = config_indices(frame, lookup)
    table = frame.pivot_table(index=index, columns="config_index", values="objective", aggfunc="mean")
    return table.reindex(columns=range(len(grid)))


def config_indices(frame: pd.DataFrame, index: dict) -> list[int | None]:
    """Each record's index into the grid (the RL action space); None if off the grid."""
    from dpdktune.knobs import Knobs

    return [
        index.get(Knobs(int(r), int(t), int(c), int(b)))
        for r, t, c, b in zip(frame.rx_desc, frame.tx_desc, frame.cores, frame.burst)
    ]
