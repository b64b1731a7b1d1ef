"""Outlier share of the default simulator campaign on noise alone, and how many planted
corrupted trials the detector finds (docs/validation.md). About 20 s per seed plus checks.

    .venv/bin/python benchmarks/outlier_share.py [--seeds 42 7] [--planted 5 20]
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from dpdktune.campaign.runner import run_inline
from dpdktune.config import load_config
from dpdktune.validation import checks

PRIMARY = ["throughput_mpps", "drop_rate", "latency_p50_us", "latency_p99_us", "latency_p999_us"]
#: name -> (columns scaled, factor)
CORRUPTIONS = {
    "throughput x2": (["throughput_mpps"], 2.0),
    "run x0.6": (["throughput_mpps", "throughput_gbps", "rx_mpps"], 0.6),
    "cycles x1.5": (["cycles_per_packet"], 1.5),
    "p99 x3": (["latency_p99_us"], 3.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--planted", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--z", type=float, default=3.5, help="validate.outlier_z")
    args = parser.parse_args()
    for seed in args.seeds:
        config = load_config(overrides={"seed": seed})
        with tempfile.TemporaryDirectory() as tmp:
            records = run_inline(config, tmp)[0].to_pandas()
        ok = int((records.status == "ok").sum())
        found = checks.outliers(records, args.z, checks.slo_verdicts(records, config))
        primary = found[found.metric.isin(PRIMARY)]
        flips = found[found.detail.str.contains("verdict flips")]
        print(
            f"seed {seed}: {found.run_id.nunique() / ok:.2%} of {ok} runs flagged "
            f"({primary.run_id.nunique() / ok:.2%} on primary metrics; {flips.run_id.nunique()} runs in "
            f"configs whose verdict flips); by metric {found.groupby('metric').size().to_dict()}"
        )
        busy = records.index[records.throughput_mpps > 0.5]
        for n in args.planted:
            caught = []
            for name, (columns, factor) in CORRUPTIONS.items():
                planted = records.copy()
                rows = np.random.default_rng(3).choice(busy, n, replace=False)
                planted.loc[rows, columns] *= factor
                hit = planted.loc[rows, "run_id"].isin(checks.outliers(planted, args.z).run_id).mean()
                caught.append(f"{name} {hit:.0%}")
            print(f"  {n} planted: " + ", ".join(caught))


if __name__ == "__main__":
    main()
