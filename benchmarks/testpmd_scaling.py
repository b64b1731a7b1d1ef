"""Real testpmd multi-core scaling through the local backend, for machines with many cores.

Runs one workload at each core count with the `local` backend (the same code a campaign
uses), writes the records as a dataset that `dpdktune calibrate --measurements` accepts, and
prints Mpps and the speed-up over one core side by side. Meant for the many-core device
machine; on a 2-CPU VM every count above 1 is clipped (the table shows requested vs applied).

    python benchmarks/testpmd_scaling.py --cores 1,2,4,8 --out results/scaling [--testpmd PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from dpdktune.campaign.runner import batch_provenance, run_inline  # noqa: E402
from dpdktune.config import load_config  # noqa: E402
from dpdktune.metrics.parquet import write_table  # noqa: E402
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", default="1,2,4,8")
    parser.add_argument("--workload", default="flood64")
    parser.add_argument("--rx-desc", type=int, default=1024)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--testpmd", default="dpdk-testpmd")
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--topology", default="pcap_null", choices=["pcap_null", "memif"])
    parser.add_argument("--out", default="results/scaling")
    args = parser.parse_args()
    cores = [int(c) for c in args.cores.split(",")]
    config = load_config(
        overrides={
            "backend": "local",
            "campaign": "scaling",
            "workloads": [args.workload],
            "grid": {"rx_desc": [args.rx_desc], "tx_desc": [args.rx_desc], "cores": cores, "burst": [32]},
            "trials": args.trials,
            "local": {
                "testpmd": args.testpmd,
                "topology": args.topology,
                "memory_mb": args.memory_mb,
                "mbufs": 65536,
                "warmup_s": 0.5,
                "measure_s": 1.0,
            },
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        records, _ = run_inline(config, tmp)
    out = Path(args.out)
    write_table(records, out / "dataset.parquet", EXPERIMENT_SCHEMA, batch_provenance(config, records))
    frame = records.to_pandas()
    print("topology:", json.loads(frame.extra.iloc[0] or "{}").get("topology"))
    ok = frame[frame.status == "ok"]
    if ok.empty:
        print(frame[["run_id", "failure_reason", "log_tail"]].to_string())
        raise SystemExit("no run succeeded")
    table = ok.groupby(["cores", "applied_cores"]).throughput_mpps.agg(["mean", "std", "count"])
    base = table["mean"].iloc[0]
    print(f"{'cores':>6}{'applied':>8}{'Mpps':>10}{'std':>8}{'speed-up':>10}{'per core':>10}")
    for (req, applied), row in table.iterrows():
        print(
            f"{req:>6}{applied:>8}{row['mean']:>10.2f}{row['std']:>8.2f}"
            f"{row['mean'] / base:>10.2f}{row['mean'] / base / applied:>10.2f}"
        )
    failed = frame[frame.status != "ok"]
    if len(failed):
        print(f"{len(failed)} failed runs:", *failed.failure_reason.unique(), sep="\n  ")


if __name__ == "__main__":
    main()
