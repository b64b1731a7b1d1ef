"""Wall time of `snakemake --cores N fastpath.so` from scratch, and what it trains.

Goal: at most 5 minutes on a quiet 2-core machine, training only what it deploys (the teacher
and the tree at `distill.deploy`; the evaluation over splits and seeds belongs to the report).
Runs the user's command once in a fresh working directory, then reads Snakemake's own log for
each job's wall time, so the share of the sweep, the teacher, the tree and the C build is
visible. Prints the load average beside the figures: they are wall-clock.

    .venv/bin/python benchmarks/fastpath_train.py [--cores 2] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
GOAL_S = 300.0
# Rules that belong to the report's Phase 2 evaluation, not to the deployed artifact.
EVALUATION_RULES = {
    "build_rl_dataset",
    "train_rl_part",
    "train_rl",
    "summarize_rl",
    "distill_sweep_part",
    "distill_sweep",
    "phase2_section",
}

STAMP = re.compile(r"^\[(\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+)")


def job_walls(log: str) -> dict[str, list[float]]:
    """Per rule, the wall seconds of each of its jobs, from the timestamps Snakemake logs."""
    stamp, started, rule_of, walls = None, {}, {}, defaultdict(list)
    pending_rule = None
    for line in log.splitlines():
        if m := STAMP.match(line):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := START.match(line):
            pending_rule = m.group(1)
        elif (m := JOBID.match(line)) and pending_rule:
            rule_of[m.group(1)], started[m.group(1)], pending_rule = pending_rule, stamp, None
        elif (m := FINISHED.match(line)) and m.group(1) in started:
            walls[rule_of[m.group(1)]].append((stamp - started[m.group(1)]).total_seconds())
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="dpdktune-fastpath-train-"))
    for name in ("config", "profiles", "csrc"):  # the rules read these relative to the working directory
        (workdir / name).symlink_to(REPO / name)
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir)]
    try:
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        run = subprocess.run([*cmd, "--cores", str(args.cores), "fastpath.so"], capture_output=True, text=True)
        wall = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(f"fastpath.so failed (rc {run.returncode}):\n{(run.stdout + run.stderr)[-3000:]}")
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        walls = job_walls(run.stdout + run.stderr)
        print(f"cores: {args.cores}   load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
        print(f"{'rule':<24}{'jobs':>6}{'wall s (sum)':>14}{'longest':>10}")
        for rule, times in sorted(walls.items(), key=lambda kv: -sum(kv[1])):
            print(f"{rule:<24}{len(times):>6}{sum(times):>14.0f}{max(times):>10.0f}")
        evaluation = sorted(set(walls) & EVALUATION_RULES)
        print(f"evaluation jobs run: {', '.join(evaluation) if evaluation else 'none'} (trains only what it deploys)")
        print(f"peak RSS of one job: {peak_gib:.2f} GiB")
        print(
            f"snakemake --cores {args.cores} fastpath.so from scratch: {wall:.0f} s   "
            f"goal {GOAL_S:.0f} s   ratio {wall / GOAL_S:.2f}"
        )
        if not (workdir / "fastpath.so").exists():
            sys.exit("fastpath.so was not written")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
