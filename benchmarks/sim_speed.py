"""Simulator speed over the default campaign: 15 workloads x 125 configs x 3 trials.

    .venv/bin/python benchmarks/sim_speed.py [--config config/config.yaml] [--trials N] [--against DIR]

Prints the CPU time and the mean and p95 wall per-run cost of SimBackend.run (the simulator alone, no journal or
Parquet) next to the 5 ms/run budget (5,625 runs in <= 60 s on 2 cores, Snakemake included), and the share of
the budget used. With --against DIR (another checkout, e.g. `git worktree add /tmp/base <commit>`), the same
benchmark runs there too, alternately, and the CPU-time ratio this/that is printed: on a machine other jobs
load, a ratio from back-to-back runs is the figure to trust, not either absolute time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BUDGET_MS = 5.0


def measure(config_path: str, trials: int | None) -> dict[str, float]:
    """Run the campaign's SimBackend calls in this process; timings in seconds and ms."""
    from dpdktune.backends.base import RunSpec
    from dpdktune.backends.sim import SimBackend
    from dpdktune.config import load_config
    from dpdktune.hardware import load_hardware
    from dpdktune.knobs import expand_grid
    from dpdktune.workloads import resolve

    config = load_config(config_path)
    hw = load_hardware(config["hardware"])
    grid = expand_grid(config["grid"])
    trials = trials or config["trials"]
    backend = SimBackend(config["sim"])
    costs = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for workload in resolve(config["workloads"]):
        for i, knobs in enumerate(grid):
            for trial in range(trials):
                spec = RunSpec(
                    f"{workload.name}-{i}-{trial}",
                    workload,
                    hw,
                    knobs,
                    trial,
                    config["seed"] * 1_000_003 + i * 101 + trial,
                )
                t0 = time.perf_counter()
                backend.run(spec)
                costs.append(time.perf_counter() - t0)
    ms = np.asarray(costs) * 1e3
    return {
        "runs": len(ms),
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu_start,
        "mean_ms": float(ms.mean()),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
    }


def _in(tree: Path, config_path: str, trials: int | None) -> dict[str, float]:
    """The same measurement in a fresh interpreter importing `tree`'s package."""
    env = {**os.environ, "PYTHONPATH": str(tree / "workflow")}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--config", config_path, "--json"]
    if trials:
        cmd += ["--trials", str(trials)]
    out = subprocess.run(cmd, env=env, cwd=tree, check=True, capture_output=True, text=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(r: dict[str, float]) -> None:
    print(f"runs                 {r['runs']}")
    print(f"total wall           {r['wall_s']:.2f} s")
    print(
        f"total CPU            {r['cpu_s']:.2f} s   (per run {r['cpu_s'] / r['runs'] * 1e3:.3f} ms; "
        "wall > CPU means a loaded machine)"
    )
    print(
        f"per run mean         {r['mean_ms']:.3f} ms   "
        f"(budget {BUDGET_MS:.1f} ms, ratio {r['mean_ms'] / BUDGET_MS:.2f})"
    )
    print(f"per run p95          {r['p95_ms']:.3f} ms")
    print(f"per run max          {r['max_ms']:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--against", type=Path, default=None, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds with --against")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.config, args.trials)))
        return
    if args.against is None:
        report(measure(args.config, args.trials))
        return
    here = Path(__file__).resolve().parents[1]
    ours, theirs = [], []
    for _ in range(args.rounds):
        theirs.append(_in(args.against.resolve(), args.config, args.trials))
        ours.append(_in(here, args.config, args.trials))
    report(ours[-1])
    cpu = [o["cpu_s"] / t["cpu_s"] for o, t in zip(ours, theirs)]
    print(f"CPU time vs {args.against}: ratios {', '.join(f'{c:.2f}' for c in cpu)} (median {np.median(cpu):.2f})")


if __name__ == "__main__":
    main()
