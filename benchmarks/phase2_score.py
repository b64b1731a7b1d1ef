"""Phase 2's goal figures, through the same scorer as `dpdktune score`.

    python benchmarks/phase2_score.py [--campaign DIR] [--configfile F ...] [--zero-shot N --zero-seed S]

1. Builds (or reuses) the campaign's `fastpath.so` with the real Snakemake in DIR
   (default: a fresh folder under /tmp, default config plus the given overrides).
2. Simulates a zero-shot campaign: N workloads generated from another seed, on the same grid,
   that no model saw (`workloads: {generate: {count: N, seed: S}}`).
3. Scores the deployed fastpath.so (fallbacks included, closed loop through the C library),
   the best static config, the teacher RL model, the default config and the oracle on it, and
   the paired difference fastpath - static per workload with a bootstrap 95 % CI.
4. Prints the goals: where Phase 1 says GO or MAYBE, fastpath - static >= half the Phase-1
   opportunity, and fastpath >= 95 % of the oracle. Under NO-GO it says what the data say.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def build(campaign: Path, configfiles: list[str]) -> float:
    """`snakemake --cores 2 fastpath.so` plus the Phase-1 decision in `campaign`; wall seconds."""
    campaign.mkdir(parents=True, exist_ok=True)
    for name in ("config", "profiles", "csrc"):
        if not (campaign / name).exists():
            (campaign / name).symlink_to(REPO / name)
    # targets first: --configfile takes every argument after it
    cmd = [str(Path(sys.executable).with_name("snakemake")), "fastpath.so", "results/baselines/decision.json",
           "--snakefile", str(REPO / "Snakefile"), "--directory", str(campaign), "--cores", "2",
           *(["--configfile", *configfiles] if configfiles else [])]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def paired_ci(a: dict[str, float], b: dict[str, float], seed: int) -> tuple[float, float, float]:
    keys = sorted(set(a) & set(b))
    d = np.array([a[k] - b[k] for k in keys])
    rng = np.random.default_rng(seed)
    means = d[rng.integers(len(d), size=(4000, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaign", type=Path, default=None, help="campaign folder (built if it lacks fastpath.so)")
    parser.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    parser.add_argument("--zero-shot", type=int, default=15, help="generated workloads in the zero-shot set")
    parser.add_argument("--zero-seed", type=int, default=1001, help="their generator seed")
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config
    from dpdktune.score import score

    campaign = (args.campaign or Path(tempfile.mkdtemp(prefix="phase2_score_"))).resolve()
    configfiles = [str(Path(f).resolve()) for f in args.configfile]
    built_s = None
    if not (campaign / "fastpath.so").exists() or not (campaign / "results/baselines/decision.json").exists():
        built_s = build(campaign, configfiles)
    config = load_config(*configfiles)
    decision = json.loads((campaign / "results/baselines/decision.json").read_text())
    tree = json.loads((campaign / "results/distill/tree.json").read_text())
    teacher = tree["inputs"].get("teacher", "cql/all").split("/")[0]

    zero_config = load_config(*configfiles, overrides={"workloads": {"generate": {"count": args.zero_shot,
                                                                                  "seed": args.zero_seed}}})
    zero_path = campaign / f"zero_shot_{args.zero_shot}_{args.zero_seed}.parquet"
    if not zero_path.exists():
        records, _ = run_inline(zero_config, Path(tempfile.mkdtemp(prefix="zero_shot_")))
        pq.write_table(records, zero_path)

    os.chdir(campaign)
    rows = {}
    for policy in ("fastpath.so", "static", f"rl:{teacher}", "tree", "default", "oracle"):
        for name, dataset in (("campaign (in-sample)", "results/characterize/dataset.parquet"),
                              ("zero-shot", str(zero_path))):
            rows[(policy, name)] = score(policy, dataset, config)

    print(f"campaign: {campaign}" + (f" (fastpath.so built in {built_s:.0f} s)" if built_s else ""))
    print(f"objective: {config['objective']}; features: {tree['feature_set']['name']}; "
          f"tree: {tree['inputs'].get('method')} depth {tree['inputs'].get('depth')}, teacher {teacher}")
    print(f"Phase 1: {decision['decision']}, opportunity {decision['opportunity']:.1%} "
          f"(best baseline {decision.get('best_baseline')})")
    print(f"safe default: {tree['fallback']['safe_default_config']}; novelty gate margin {tree['fallback']['margin']}"
          f", false fallbacks on held-out trials {tree['fallback']['false_fallback_rate']}, "
          f"out-of-range caught {tree['fallback']['out_of_range_fallback_rate']}")
    print(f"\n{'policy':<14}{'dataset':<22}{'fraction of oracle':>20}{'95 % CI':>20}{'fallback':>10}")
    for (policy, name), r in rows.items():
        print(f"{policy:<14}{name:<22}{r['fraction_of_oracle']:>20.3f}"
              f"{'[%.3f, %.3f]' % tuple(r['ci']):>20}{r['fallback_rate']:>10.1%}")
    fast, static = rows[("fastpath.so", "zero-shot")], rows[("static", "zero-shot")]
    gain, lo, hi = paired_ci(fast["per_workload"], static["per_workload"], int(config["seed"]))
    need = decision["opportunity"] / 2
    print(f"\nzero-shot, fastpath.so - static (paired over {len(fast['per_workload'])} workloads): "
          f"{gain:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    if decision["decision"] in ("GO", "MAYBE"):
        print(f"goal 1, beats static by >= half the opportunity ({need:.3f}): {'MET' if gain >= need else 'NOT MET'}")
    else:
        verdict = "does not beat" if hi < need or gain <= 0 else "may beat"
        print(f"Phase 1 says {decision['decision']}: goal 1 does not apply; the data say the deployed policy "
              f"{verdict} the best static config by half the opportunity ({need:.3f}) on unseen workloads")
    print(f"goal 2, fastpath.so >= 95 % of the oracle on unseen workloads: {fast['fraction_of_oracle']:.3f} "
          f"{'MET' if fast['fraction_of_oracle'] >= 0.95 else 'NOT MET'}")


if __name__ == "__main__":
    main()
