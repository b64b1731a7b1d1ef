"""Wall time of `snakemake report.html` from scratch on the default simulator campaign.

Goal: <= 3 minutes on 2 cores, sweep included, for the Phase-1 report. Runs in a
fresh working directory (`--directory`), in steps, so each stage's share is visible:

  1. sweep      snakemake characterize outputs (15 workloads x 125 configs x 3 trials)
  2. phase 1    validate, analyze, NDR/PDR searches, baselines, gap (snakemake, the same DAG as report.html)
  3. report     rendering report.html with no extra sections (in-process, as the rule does)
  4. one call   the user's command, `snakemake --cores N report.html`, from scratch in a second
                fresh directory: the figure the goal is judged on
  5. full       with --full: `snakemake distill report.html` on top, which adds Phase 2's
                section (RL evaluation + distillation) when Phase 1 says GO or MAYBE

Each snakemake call pays its own DAG build (~2-5 s), so the step sum slightly overstates one
call. Report the figures with the machine's load: the numbers are wall-clock.

    .venv/bin/python benchmarks/report_e2e.py --cores 2 [--full] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
GOAL_S = 180.0

SWEEP = ["results/characterize/dataset.parquet", "results/characterize/manifest.json"]
PHASE1 = ["results/baselines/decision.json", "results/analyze/summary.json", "results/analyze/ndr_summary.json"]


def snakemake(workdir: Path, cores: int, targets: list[str], timeout: float) -> float:
    cmd = [
        SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        *targets,
        "--quiet",
        "all",
    ]
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"{' '.join(targets)} failed (rc {run.returncode}):\n{(run.stdout + run.stderr)[-3000:]}")
    return elapsed


def render(workdir: Path) -> tuple[float, str]:
    code = (
        "import json, sys; from pathlib import Path\n"
        "from dpdktune.config import load_config\n"
        "from dpdktune.report.build import ReportInputs, files_under, write_report\n"
        "d = write_report(ReportInputs(files_under('results')), load_config(), 'report.html')\n"
        "print(d['decision'])\n"
    )
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        sys.exit(f"report rendering failed:\n{run.stderr[-3000:]}")
    return time.perf_counter() - start, run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="also time `snakemake report.html` with its extra sections")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()

    workdir, fresh = (Path(tempfile.mkdtemp(prefix="dpdktune-report-e2e-")) for _ in range(2))
    for folder in (workdir, fresh):
        for name in ("config", "profiles", "csrc"):  # the rules read these relative to the working directory
            (folder / name).symlink_to(REPO / name)
    try:
        sweep = snakemake(workdir, args.cores, SWEEP, 1800)
        phase1 = snakemake(workdir, args.cores, PHASE1, 1800)
        report, decision = render(workdir)
        total = sweep + phase1 + report
        print(f"cores: {args.cores}   decision: {decision}")
        print(f"{'step':<34}{'wall s':>9}")
        print(f"{'sweep (characterize)':<34}{sweep:>9.1f}")
        print(f"{'phase 1 (validate/analyze/base.)':<34}{phase1:>9.1f}")
        print(f"{'report.html (phase 1)':<34}{report:>9.1f}")
        print(
            f"{'total phase-1 report from scratch':<34}{total:>9.1f}   goal {GOAL_S:.0f} s   ratio {total / GOAL_S:.2f}"
        )
        one_call = snakemake(fresh, args.cores, ["report.html"], 1800)
        print(
            f"{'snakemake report.html, one call':<34}{one_call:>9.1f}   "
            f"goal {GOAL_S:.0f} s   ratio {one_call / GOAL_S:.2f}"
        )
        if args.full:
            full = snakemake(fresh, args.cores, ["distill", "report.html"], 3600)
            print(f"{'+ snakemake distill report.html':<34}{full:>9.1f}   total {one_call + full:.1f} s")
        print(f"report size: {(fresh / 'report.html').stat().st_size / 1024:.0f} KiB")
    finally:
        for folder in (workdir, fresh):
            if args.keep:
                print(f"kept {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
