"""Simulator speed over the default campaign: 15 workloads x 125 configs x 3 trials.

    .venv/bin/python benchmarks/sim_speed.py [--config config/config.yaml] [--trials N]

Prints the CPU time and the mean and p95 wall per-run cost of SimBackend.run (the simulator alone, no journal or
Parquet) next to the 5 ms/run budget of the issue (5,625 runs in <= 60 s on 2 cores,
Snakemake included), and the share of the budget used.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dpdktune.backends.base import RunSpec
from dpdktune.backends.sim import SimBackend
from dpdktune.config import load_config
from dpdktune.hardware import load_hardware
from dpdktune.knobs import expand_grid
from dpdktune.workloads import resolve

BUDGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    hw = load_hardware(config["hardware"])
    grid = expand_grid(config["grid"])
    trials = args.trials or config["trials"]
    backend = SimBackend(config["sim"])
    costs = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for workload in resolve(config["workloads"]):
        for i, knobs in enumerate(grid):
            for trial in range(trials):
                spec = RunSpec(f"{workload.name}-{i}-{trial}", workload, hw, knobs, trial,
                               config["seed"] * 1_000_003 + i * 101 + trial)
                t0 = time.perf_counter()
                backend.run(spec)
                costs.append(time.perf_counter() - t0)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    ms = np.asarray(costs) * 1e3
    print(f"runs                 {len(ms)}")
    print(f"total wall           {wall:.2f} s")
    print(f"total CPU            {cpu:.2f} s   (per run {cpu / len(ms) * 1e3:.3f} ms; "
          "wall > CPU means a loaded machine)")
    print(f"per run mean         {ms.mean():.3f} ms   (budget {BUDGET_MS:.1f} ms, ratio {ms.mean() / BUDGET_MS:.2f})")
    print(f"per run p95          {np.percentile(ms, 95):.3f} ms")
    print(f"per run max          {ms.max():.3f} ms")


if __name__ == "__main__":
    main()
