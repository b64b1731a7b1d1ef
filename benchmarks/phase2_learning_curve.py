"""How Phase 2's goals move with the number of training workloads.

    python benchmarks/phase2_learning_curve.py --out DIR [--counts 15 30 60 100] [--seeds 43]
                                               [--generator-seed 7] [--lwo 10] [--zero-seed 1001 ...]

For every (count, campaign seed) it runs `benchmarks/phase2_score.py` on a campaign of `count`
workloads drawn from the workload generator (`workloads: {generate: {count, seed}}`), with the
leave-workload-out splits and the zero-shot sets, into DIR/<count>-<seed>/ and DIR/<count>-<seed>.json.
A cell whose JSON exists is not rerun, so a killed sweep resumes where it stopped. Then it prints
one row per cell, side by side: Phase 1's decision and opportunity, and on unseen workloads the
deployed fastpath.so (as deployed, with the range check as its only gate, and with its gate
calibrated the other way), the teacher and the rules baseline, each minus the best static config
(paired over splits), the fast path's share of the oracle and fallback rate, and the held-out
value ratio of the deployed distillation method.

Every workload in every cell is generated, including the smallest count, so the curve compares
like with like; the catalogue campaign's figures are in docs/phase2-results.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_cell(out: Path, count: int, seed: int, args) -> dict:
    result = out / f"{count}-{seed}.json"
    if not result.exists():
        overrides = out / f"{count}-{seed}.yaml"
        overrides.write_text(
            json.dumps({"seed": seed, "workloads": {"generate": {"count": count, "seed": args.generator_seed}}})
        )
        cmd = [
            sys.executable,
            str(REPO / "benchmarks/phase2_score.py"),
            "--campaign",
            str(out / f"{count}-{seed}"),
            "--configfile",
            str(overrides),
            "--lwo",
            str(args.lwo),
            "--fidelity-methods",
            *args.fidelity_methods,
            "--json",
            str(result),
        ]
        for z in args.zero_seed:
            cmd += ["--zero-seed", str(z)]
        with open(out / f"{count}-{seed}.log", "w") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            sys.exit(f"phase2_score failed for {count} workloads, seed {seed}: see {out / f'{count}-{seed}.log'}")
    return json.loads(result.read_text())


def row(count: int, seed: int, report: dict) -> dict:
    lwo = report["lwo"]
    teacher = next(k for k in lwo if k.startswith("rl:") and " - " not in k)
    deployed = report["setting"].get("method")
    value = [d["value_ratio"] for d in lwo["distillation"] if d["method"] == deployed]
    zero = [v["mean"] for k, v in report["sets"].items() if k.startswith("fastpath.so - static | zero-shot seed")]

    def gain(policy: str) -> str:
        g = lwo[f"{policy} - static"]
        return f"{g['mean']:+.3f} [{g['ci'][0]:+.3f},{g['ci'][1]:+.3f}]"

    # the deployed tree with its novelty gate calibrated the other way (distill.novelty_held_out)
    other_gate = next(k for k in lwo if k.startswith("fastpath.so (gate calibrated on") and " - " not in k)
    need = report["opportunity"] / 2
    fast_gain = lwo["fastpath.so - static"]["mean"]
    if report["decision"] == "NO-GO":
        goal1 = "n/a (NO-GO)"
    else:
        goal1 = "met" if fast_gain >= need else "not met"
    return {
        "workloads": count,
        "seed": seed,
        "phase 1": f"{report['decision']} {report['opportunity']:.1%} ({report['best_baseline']})",
        "fastpath": f"{lwo['fastpath.so']['mean']:.3f}",
        "fallback": f"{lwo['fastpath.so']['fallback_rate']:.0%}",
        "fastpath-static": gain("fastpath.so"),
        "half opportunity": f"{need:.3f}",
        "goal 1 (LWO)": goal1,
        "range only-static": gain("fastpath.so (range gate only)"),
        "other gate-static": gain(other_gate),
        f"{teacher}-static": gain(teacher),
        "rules-static": gain("rules"),
        f"{deployed} value ratio": f"{value[0]:.3f}" if value else "-",
        "zero-shot fastpath-static": " ".join(f"{z:+.3f}" for z in zero),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the campaigns, logs and JSON")
    parser.add_argument("--counts", type=int, nargs="+", default=[15, 30, 60, 100], help="generated workloads")
    parser.add_argument("--seeds", type=int, nargs="+", default=[43], help="campaign seeds")
    parser.add_argument("--generator-seed", type=int, default=7, help="seed of the training workloads' generator")
    parser.add_argument("--lwo", type=int, default=10, help="leave-workload-out splits per cell")
    parser.add_argument("--zero-seed", type=int, nargs="+", default=[1001, 2002], help="zero-shot generator seeds")
    parser.add_argument(
        "--fidelity-methods", nargs="+", default=["viper"], help="distillation methods measured on held-out states"
    )
    parser.add_argument("--table-only", action="store_true", help="print the cells already measured; run nothing")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in args.seeds:
        for count in args.counts:
            if args.table_only and not (args.out / f"{count}-{seed}.json").exists():
                continue
            rows.append(row(count, seed, run_cell(args.out.resolve(), count, seed, args)))
            print(json.dumps(rows[-1]), flush=True)
    import pandas as pd

    print("\nunseen workloads (leave-workload-out mean over splits; minus static paired over splits, 95 % t CI):")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
