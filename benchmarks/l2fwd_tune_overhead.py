"""Loop throughput of csrc/l2fwd_tune with fp_decide in the loop and without it.

Builds l2fwd_tune against a depth-10 tree over the metrics the app measures itself (novelty
checks on), then alternates runs over net_null vdevs: `--decide-every 0` (no decision) and
`--decide-every N --no-apply` (the decision is made every N bursts but not applied, so the
loop does the same work otherwise). Goal: < 1 % overhead.

    .venv/bin/python benchmarks/l2fwd_tune_overhead.py [--every 64] [--runs 5] [--seconds 3]
    ... --static --prepare DIR   # a static binary + run.sh for a machine without libdpdk
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
from dpdktune import treefile
from dpdktune.codegen import build, synthetic
from dpdktune.codegen.render import CSRC

APP_FEATURES = [
    "offered_mpps",
    "throughput_mpps",
    "mean_frame_bytes",
    "drop_rate",
    "cycles_per_packet",
    "useful_cycles_fraction",
    "burst_occupancy",
]
STATIC_LIBS = [
    "-static",
    "-Wl,--whole-archive",
    "-l:librte_net_null.a",
    "-l:librte_mempool_ring.a",
    "-Wl,--no-whole-archive",
    "-l:librte_bus_vdev.a",
    "-l:librte_ethdev.a",
    "-l:librte_mbuf.a",
    "-l:librte_mempool.a",
    "-l:librte_ring.a",
    "-l:librte_net.a",
    "-l:librte_meter.a",
    "-l:librte_telemetry.a",
    "-l:librte_eal.a",
    "-l:librte_kvargs.a",
    "-lnuma",
    "-lbsd",
    "-lmd",
    "-lm",
    "-lpthread",
    "-ldl",
]


def app_tree() -> dict:
    """A depth-10 tree over the app's own metrics, trained on synthetic rows of those scales."""
    from sklearn.tree import DecisionTreeClassifier

    X, y = synthetic.dataset(20000, seed=5)
    X = X[:, [0, 1, 2, 3, 6, 7, 12]]  # same scales as the app's metrics (occupancy ~ a fraction)
    clf = DecisionTreeClassifier(max_depth=10, min_samples_leaf=2, random_state=0).fit(X, y)
    big = float(np.finfo(np.float32).max)
    bounds = {"min": [-big] * len(APP_FEATURES), "max": [big] * len(APP_FEATURES)}
    return treefile.from_sklearn(clf, APP_FEATURES, synthetic.configs(), bounds, X, 62, 0.0, method="bench-l2fwd")


def build_app(work: Path, static: bool) -> Path:
    files = build.generate(app_tree(), work)
    if not static:
        subprocess.run(
            ["make", "-C", str(CSRC / "l2fwd_tune"), f"BUILD={work}", f"FASTPATH_TREE={files['source']}"],
            check=True,
            timeout=600,
            capture_output=True,
        )
        return work / "l2fwd_tune"
    cflags = subprocess.run(
        ["pkg-config", "--cflags", "libdpdk"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    exe = work / "l2fwd_tune_static"
    subprocess.run(
        [
            "cc",
            "-O2",
            "-g",
            "-ffp-contract=off",
            f"-I{CSRC}",
            *cflags,
            "-o",
            str(exe),
            str(CSRC / "l2fwd_tune" / "l2fwd_tune.c"),
            str(files["source"]),
            str(build.RUNTIME),
            *STATIC_LIBS,
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return exe


def eal_args(lcores: str) -> list[str]:
    return [
        "--no-huge",
        "-m",
        "512",
        "--no-pci",
        "--vdev=net_null0",
        "--vdev=net_null1",
        f"--file-prefix=l2fwd_bench_{uuid.uuid4().hex[:8]}",
        "-l",
        lcores,
        "--log-level=lib.eal:error",
    ]


def run(app: Path, lcores: str, seconds: float, every: int) -> dict:
    args = ["--duration", str(seconds), "--decide-every", str(every)] + (["--no-apply"] if every else [])
    proc = subprocess.run(
        ["timeout", "-k", "5", str(seconds + 60), str(app), *eal_args(lcores), "--", *args],
        capture_output=True,
        text=True,
        timeout=seconds + 90,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"l2fwd_tune exit {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, nargs="+", default=[64, 16])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--lcores", default="0-1")
    ap.add_argument("--static", action="store_true", help="link DPDK statically (runs where libdpdk is absent)")
    ap.add_argument("--prepare", type=Path, help="only build the app into this directory")
    ap.add_argument("--app", type=Path, help="an already built l2fwd_tune")
    ap.add_argument("--from-jsonl", type=Path, help="summarize the app's JSON lines from another machine's runs")
    args = ap.parse_args(argv)
    if args.from_jsonl:
        outs = [json.loads(line) for line in args.from_jsonl.read_text().splitlines() if line.strip()]
    else:
        outs = []
        with tempfile.TemporaryDirectory(prefix="l2fwd_bench_") as tmp:
            if args.prepare:
                args.prepare.mkdir(parents=True, exist_ok=True)
                print(build_app(args.prepare, args.static))
                return 0
            app = args.app or build_app(Path(tmp), args.static)
            for _ in range(args.runs):  # interleaved, so drifts in machine load hit every mode alike
                for every in (0, *args.every):
                    outs.append(run(app, args.lcores, args.seconds, every))
    report(outs)
    return 0


def report(outs: list[dict]) -> None:
    """Throughput with and without the decision, and the decision's share of the deciding worker's cycles."""
    modes = sorted({o["decide_every"] for o in outs})
    base = statistics.median(o["tx_mpps"] for o in outs if o["decide_every"] == 0)
    print(
        f"l2fwd_tune over net_null: {len(outs)} runs, interleaved; throughput overhead is within run-to-run "
        f"noise below a few %, so the cycle share (decisions x ns per decision / run time) is the resolving figure"
    )
    print(
        f"{'mode':>24} {'median Mpps':>12} {'runs (Mpps)':>42} {'tput overhead':>14} {'ns/decision':>12} "
        f"{'cycle share':>12}"
    )
    for every in modes:
        runs = [o for o in outs if o["decide_every"] == every]
        med = statistics.median(o["tx_mpps"] for o in runs)
        label = "no decision" if every == 0 else f"decide every {every} bursts"
        cells = " ".join(f"{o['tx_mpps']:.2f}" for o in runs)
        if every == 0:
            print(f"{label:>24} {med:12.3f} {cells:>42}")
            continue
        ns = statistics.median(o["decide_ns_mean"] for o in runs)
        share = statistics.median(o["decisions"] * o["decide_ns_mean"] / (o["elapsed_s"] * 1e9) for o in runs)
        print(f"{label:>24} {med:12.3f} {cells:>42} {100 * (1 - med / base):13.2f}% {ns:12.1f} {100 * share:11.3f}%")


if __name__ == "__main__":
    sys.exit(main())
