"""The simulator's landscape over the default grid: each workload's best config and why.

    python -m dpdktune.sim.landscape [--hardware PROFILE] [--objective NAME] [--markdown]

Runs every (workload, config) of config/config.yaml once without trial noise (the physics
alone), picks the best config per workload by the configured objective, and explains it by
the binding limit and by what moving each knob one grid step does. Ties (within
`TIE_TOLERANCE` of the best objective) go to configs whose p99 latency is within
`LATENCY_TOLERANCE` of the lowest, then to fewer cores, then smaller rings and burst: an
engineer takes the cheapest config that does the job.
docs/simulator.md pastes this script's --markdown output.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.config import load_config
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs, expand_grid
from dpdktune.objective import objective_values
from dpdktune.sim.model import simulate
from dpdktune.workloads import resolve

TIE_TOLERANCE = 0.005
LATENCY_TOLERANCE = 0.05


def landscape(config: dict[str, Any], hardware: str | None = None) -> pd.DataFrame:
    """One noiseless run per (workload, config): knobs, metrics, objective, binding limit."""
    hw = load_hardware(hardware or config["hardware"])
    grid = expand_grid(config["grid"])
    sim = config.get("sim", {})
    rows = []
    for workload in resolve(config["workloads"]):
        for index, knobs in enumerate(grid):
            out = simulate(workload, hw, knobs, seed=0, window_ms=sim.get("window_ms", 10.0),
                           sample_interval_ms=sim.get("sample_interval_ms", 0.5), noise_cv=0.0)
            row = {"workload": workload.name, "config_index": index, **knobs.as_dict(),
                   **{f"applied_{k}": v for k, v in out.applied.as_dict().items()},
                   **{k: v for k, v in out.metrics.items() if k != "cpu_util"},
                   "bound": out.extra["bound"], "limit_mpps": out.extra["limits_mpps"].get(out.extra["bound"].split("@")[0]),
                   "status": "ok"}
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["objective"] = objective_values(frame, config)
    return frame


def best_configs(frame: pd.DataFrame) -> pd.DataFrame:
    """Each workload's best row (see the module docstring for the tie rule)."""
    best = []
    for _, group in frame.groupby("workload", sort=False):
        top = group["objective"].max()
        if not top > 0:  # no config meets the objective: rank by throughput instead
            group = group.assign(objective=group["throughput_mpps"])
            top = group["objective"].max()
        near = group[group["objective"] >= top * (1.0 - TIE_TOLERANCE)]
        fast = near[near["latency_p99_us"] <= near["latency_p99_us"].min() * (1.0 + LATENCY_TOLERANCE)]
        best.append(fast.sort_values(["cores", "rx_desc", "tx_desc", "burst"]).iloc[0])
    return pd.DataFrame(best).reset_index(drop=True)


def explain(frame: pd.DataFrame, row: pd.Series, grid: dict[str, list[int]]) -> str:
    """Why `row` wins: its binding limit and the effect of one grid step on each knob."""
    group = frame[frame.workload == row.workload].set_index(["rx_desc", "tx_desc", "cores", "burst"])
    if row.bound == "offered":
        parts = [f"keeps up with the offered {row.offered_mpps:.2f} Mpps"]
    elif row.bound.endswith("@peak"):
        parts = [f"keeps up on average, arrival peaks exceed the {row.bound[:-5]} limit ({row.limit_mpps:.1f} Mpps)"]
    elif row.bound == "rss":
        parts = [f"rss-bound: the hottest queue saturates from {row.limit_mpps:.1f} Mpps offered"]
    else:
        parts = [f"{row.bound}-bound ({row.limit_mpps:.1f} Mpps)"]
    for knob in ("cores", "rx_desc", "tx_desc", "burst"):
        values = list(grid.get(knob, [row[knob]]))
        at = values.index(int(row[knob]))
        for step in (-1, 1):
            if not 0 <= at + step < len(values):
                continue
            other = replace(Knobs(int(row.rx_desc), int(row.tx_desc), int(row.cores), int(row.burst)),
                            **{knob: values[at + step]})
            alt = group.loc[(other.rx_desc, other.tx_desc, other.cores, other.burst)]
            change = _pct(alt.objective, row.objective)
            lat = _pct(alt.latency_p99_us, row.latency_p99_us)
            parts.append(f"{knob} {values[at + step]}: obj {change}, p99 {lat}")
    return "; ".join(parts)


def _pct(new: float, old: float) -> str:
    if old == 0 or not np.isfinite(old):
        return "n/a"
    return f"{(new - old) / old * 100:+.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--hardware", default=None)
    parser.add_argument("--objective", default=None)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    overrides = {"objective": args.objective} if args.objective else None
    config = load_config(args.config, overrides=overrides)
    frame = landscape(config, args.hardware)
    best = best_configs(frame)
    hw = args.hardware or config["hardware"]
    if args.markdown:
        print(f"Hardware `{hw}`, objective `{config['objective']}`, grid {dict(config['grid'])}, noise off.\n")
        print("| workload | rx_desc | tx_desc | cores | burst | Mpps | drop | p99 µs | why (one grid step away) |")
        print("|---|---|---|---|---|---|---|---|---|")
    for _, row in best.iterrows():
        why = explain(frame, row, config["grid"])
        if args.markdown:
            print(f"| {row.workload} | {row.rx_desc} | {row.tx_desc} | {row.cores} | {row.burst} | "
                  f"{row.throughput_mpps:.2f} | {row.drop_rate:.3f} | {row.latency_p99_us:.1f} | {why} |")
        else:
            print(f"{row.workload:11s} rx={row.rx_desc:<5d} tx={row.tx_desc:<5d} cores={row.cores:<3d} "
                  f"burst={row.burst:<4d} {row.throughput_mpps:8.2f} Mpps drop={row.drop_rate:.3f} "
                  f"p99={row.latency_p99_us:8.1f}us  {why}")
    distinct = best[["rx_desc", "tx_desc", "cores", "burst"]].drop_duplicates().shape[0]
    print(f"\n{distinct} distinct best configs over {len(best)} workloads.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
