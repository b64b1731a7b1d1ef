"""Time the default 5,625-run simulator `characterize` on this machine, then a no-op rerun.

Prints runs/s and how the wall time splits between simulated runs and everything else
(Snakemake scheduling, interpreter start-up, Parquet I/O). Goals: <= 60 s wall
on 2 cores, no-op rerun <= 5 s.

    .venv/bin/python benchmarks/characterize_speed.py [--cores 2] [--configfile small.yaml]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from snakemake_helpers import snakemake_cmd, workdir  # noqa: E402


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--configfile", help="overrides (default: the default campaign)")
    args = parser.parse_args()
    import yaml

    overrides = yaml.safe_load(Path(args.configfile).read_text()) if args.configfile else {}
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir(Path(tmp), overrides)
        cmd = snakemake_cmd(work, "--cores", str(args.cores), "characterize")
        cold = _timed(cmd)
        noop = _timed(cmd)
        manifest = json.loads((work / "results/characterize/manifest.json").read_text())
        run_s = 0.0
        for journal in (work / "results/characterize/journal").rglob("*.jsonl"):
            for line in journal.read_text().splitlines():
                run_s += json.loads(line)["record"]["duration_s"]
    runs = manifest["recorded_runs"]
    busy = run_s / args.cores  # run time spread over the parallel jobs
    print(f"{'runs':<28}{runs:>12}")
    print(f"{'wall, from scratch (s)':<28}{cold:>12.1f}   goal <= 60")
    print(f"{'runs/s':<28}{runs / cold:>12.0f}")
    print(f"{'mean simulated run (ms)':<28}{1000 * run_s / runs:>12.2f}   goal <= 5")
    print(f"{'share in runs':<28}{busy / cold:>12.1%}")
    print(f"{'share in overhead':<28}{1 - busy / cold:>12.1%}   (Snakemake, start-up, journal, Parquet)")
    print(f"{'wall, no-op rerun (s)':<28}{noop:>12.1f}   goal <= 5")
    print(f"{'no-op / from scratch':<28}{noop / cold:>12.2f}")


if __name__ == "__main__":
    main()
