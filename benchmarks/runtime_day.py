"""The runtime's goals over one simulated day with shifts, measured (not asserted):

- the adaptive runtime's total objective against the oracle's (goal: within 5 %), the best
  static config's and the reactive controller's (goal: beats both);
- adaptation after each shift (goal: within 10 s of simulated time; the plan asks for 5 min);
- runs below the safe default (goal: never more than one interval, except during a restart);
- the adaptive run's wall time (goal: <= 10 min on 2 cores) and its RSS (goal: flat, the last
  hour's within 5 % of the second hour's).

The training set is the config's workloads minus runtime.eval_novel_workloads, as in
`snakemake evaluation`; the day is config/scenarios/day.yaml. Every run is a fresh
`dpdktune run` process, so wall time and RSS are the run's own. The twin's cells are simulated
first (timed separately) into --cache, which `snakemake evaluation` shares.

    nice -n 10 .venv/bin/python benchmarks/runtime_day.py [--hours 24] [--cache results/evaluate/twin]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

POLICIES = ("adaptive", "static", "reactive", "fast-only", "oracle", "rules")


def verdict(ok: bool) -> str:
    return "HOLDS" if ok else "DOES NOT HOLD"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--cache", default=str(REPO / "results/evaluate/twin"))
    ap.add_argument("--out", default=None, help="folder for the runs (default: a temporary one)")
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument(
        "--seed", type=int, default=None, help="run seed: which live trial each interval shows (default: the config's)"
    )
    args = ap.parse_args()

    from dpdktune.config import load_config
    from dpdktune.runtime.evaluate import prepare, training_config

    config = load_config()
    train = training_config(config)
    out = Path(args.out or tempfile.mkdtemp(prefix="runtime-day-"))
    out.mkdir(parents=True, exist_ok=True)
    cfg_file = out / "train.yaml"
    cfg_file.write_text(yaml.safe_dump({"workloads": train["workloads"]}))
    t0 = time.perf_counter()
    cells = prepare(config, args.cache)
    print(
        f"twin: {len(cells['cells'])} cells, {cells['simulator_runs']} new simulator runs, "
        f"{time.perf_counter() - t0:.1f} s"
    )
    duration = args.hours * 3600
    results = {}
    for policy in args.policies.split(","):
        cmd = [
            sys.executable,
            "-m",
            "dpdktune.cli",
            "run",
            "--scenario",
            str(REPO / "config/scenarios/day.yaml"),
            "--duration-s",
            str(duration),
            "--out",
            str(out / policy),
            "--policy",
            policy,
            "--configfile",
            str(cfg_file),
            "--twin-cache",
            args.cache,
        ]
        if args.seed is not None:
            cmd += ["--seed", str(args.seed)]
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "workflow")}
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(f"{policy}: failed: {proc.stderr.strip()[-500:]}")
            return 1
        summary = json.loads((out / policy / "summary.json").read_text())
        summary["process_wall_s"] = wall
        results[policy] = summary
        print(
            f"{policy:10s} fraction_of_oracle {summary['fraction_of_oracle']:.4f}  wall {wall:6.1f} s  "
            f"peak RSS {summary['peak_rss_mb']:.0f} MB  swaps {summary['swaps']} rollbacks {summary['rollbacks']} "
            f"fallbacks {summary['fallbacks']}",
            flush=True,
        )
    a = results.get("adaptive")
    if a is None:
        return 0
    frac = {p: r["fraction_of_oracle"] for p, r in results.items()}
    adapt = np.array([np.inf if x is None else x for x in a["adaptation_s"]])
    frame = pd.read_parquet(out / "adaptive" / "timeline.parquet")
    rss = a["rss_mb_by_hour"]
    print()
    print(
        f"goal: within 5 % of the oracle's total      adaptive / oracle = {frac['adaptive']:.4f} "
        f"-> {verdict(frac['adaptive'] >= 0.95)}"
    )
    for other in ("static", "reactive"):
        if other in frac:
            ratio = frac["adaptive"] / frac[other]
            print(
                f"goal: beats {other:8s}                     adaptive / {other} = {ratio:.3f} -> {verdict(ratio > 1)}"
            )
    print(
        f"goal: adapts within 10 s after a shift       {np.mean(adapt <= 10):.3f} of {len(adapt)} shifts "
        f"(median {np.median(adapt):.1f} s, p90 {np.quantile(adapt, 0.9):.1f} s, never {int(np.isinf(adapt).sum())})"
        f" -> {verdict(bool(np.all(adapt <= 10)))}"
    )
    finite = adapt[np.isfinite(adapt)]
    bins = [
        ("<=2 s", finite <= 2),
        ("3-5 s", (finite > 2) & (finite <= 5)),
        ("6-10 s", (finite > 5) & (finite <= 10)),
        ("11-60 s", (finite > 10) & (finite <= 60)),
        (">60 s", finite > 60),
    ]
    print(
        "      adaptation_s distribution: "
        + ", ".join(f"{k} {int(v.sum())}" for k, v in bins)
        + f", never {int(np.isinf(adapt).sum())}"
    )
    run = a["below_safe_default_max_run_outside_restarts"]
    print(
        f"goal: <= 1 interval below the safe default   longest run outside restarts = {run} "
        f"(share of intervals below: {a['below_safe_default_share']:.4f}; below by > "
        f"{a['below_safe_default_tolerance']:.0%}) -> {verdict(run <= 1)}"
    )
    print(f"      runs below the safe default by length: {a['below_safe_default_run_lengths']}")
    print(
        f"      the same, any shortfall at all           longest run = "
        f"{a['below_safe_default_max_run_outside_restarts_strict']}, "
        f"share {a['below_safe_default_share_strict']:.4f}"
    )
    wall = a["process_wall_s"]
    print(f"goal: {args.hours:g} h simulated in <= 10 min wall       {wall:.1f} s -> {verdict(wall <= 600)}")
    if len(rss) >= 3:
        ratio = rss[-1] / rss[1]
        print(
            f"goal: flat RSS (last hour / second hour)     {rss[-1]:.1f} / {rss[1]:.1f} MB = {ratio:.3f} "
            f"-> {verdict(abs(ratio - 1) <= 0.05)}"
        )
    print(f"decision overhead: {json.dumps(a['decision_overhead'])}")
    print(f"intervals {len(frame)}, restarts {int(frame.restart.sum())}")
    print(f"runs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
