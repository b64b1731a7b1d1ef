"""Local testpmd backend: start-up overhead per run, runs per hour, and sim-vs-local error
before and after `dpdktune calibrate`.

Each run is a real dpdk-testpmd (pcap_null topology) with a warm-up and a measurement window;
the overhead is the run's wall time beyond those two windows (EAL init with --no-huge memory,
port setup, stats commands, shutdown). Calibration measures a burst sweep, fits the profile's
per-packet and per-burst cycle costs, and prints sim/real per config.

    .venv/bin/python benchmarks/local_testpmd.py --runs 6 --warmup 0.5 --measure 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from dpdktune import calibrate  # noqa: E402
from dpdktune.backends.base import RunSpec  # noqa: E402
from dpdktune.backends.local import LocalBackend, machine_cpus  # noqa: E402
from dpdktune.hardware import load_hardware  # noqa: E402
from dpdktune.knobs import Knobs  # noqa: E402
from dpdktune.workloads import load_catalogue  # noqa: E402


def overhead(args: argparse.Namespace) -> dict[str, float]:
    settings = {"warmup_s": args.warmup, "measure_s": args.measure, "memory_mb": args.memory_mb}
    backend = LocalBackend(settings)
    hw = load_hardware(args.hardware)
    wl = load_catalogue()["imix"]
    backend.run(RunSpec("warm", wl, hw, Knobs(256, 256, 1, 32), 0, 0))  # pcap written, page cache warm
    walls, startups, mpps = [], [], []
    try:
        for i in range(args.runs):
            knobs = Knobs([256, 1024][i % 2], [256, 1024][i % 2], 1, [16, 32][i % 2])
            start = time.monotonic()
            r = backend.run(RunSpec(f"b{i}", wl, hw, knobs, 0, i))
            walls.append(time.monotonic() - start)
            startups.append(r.extra["startup_s"])
            mpps.append(r.metrics["throughput_mpps"])
    finally:
        backend.close()
    window = args.warmup + args.measure
    wall = statistics.mean(walls)
    return {
        "runs": args.runs,
        "window_s": window,
        "wall_s": wall,
        "wall_sd": statistics.pstdev(walls),
        "startup_s": statistics.mean(startups),
        "overhead_s": wall - window,
        "runs_per_hour": 3600 / wall,
        "mpps": statistics.mean(mpps),
    }


def calibration(args: argparse.Namespace) -> dict:
    config = {
        "backend": "local",
        "hardware": args.hardware,
        "retry": {"attempts": 2},
        "local": {"warmup_s": args.warmup, "measure_s": args.measure, "memory_mb": args.memory_mb},
    }
    catalogue = load_catalogue()
    workloads = [catalogue[n] for n in args.workloads.split(",")]
    grid = [Knobs(rx, rx, 1, b) for rx in (256, 1024) for b in (4, 8, 16, 32, 64)]
    rows = calibrate.measure(config, workloads, grid)
    ms = calibrate.measurements_from_rows(rows, catalogue)
    _, report = calibrate.fit(load_hardware(args.hardware), ms, "bench-local")
    return report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=6)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--measure", type=float, default=1.0)
    p.add_argument("--memory-mb", type=int, default=512)
    p.add_argument("--hardware", default="xeon6140-cx5-100g")
    p.add_argument("--workloads", default="flood64,imix")
    p.add_argument("--skip-calibration", action="store_true")
    args = p.parse_args()

    load = os.getloadavg()[0]
    print(
        f"machine: {machine_cpus()} CPUs, load average {load:.1f} (testpmd's cycle counts include "
        f"time other processes take from its core); windows: warm-up {args.warmup} s + measure {args.measure} s"
    )
    o = overhead(args)
    print(f"\n{'per run':<28}{'seconds':>10}{'share of wall':>15}")
    print(f"{'wall time':<28}{o['wall_s']:>10.2f}{1:>15.2f}   (sd {o['wall_sd']:.2f} over {o['runs']} runs)")
    print(f"{'measurement windows':<28}{o['window_s']:>10.2f}{o['window_s'] / o['wall_s']:>15.2f}")
    print(f"{'overhead (wall - windows)':<28}{o['overhead_s']:>10.2f}{o['overhead_s'] / o['wall_s']:>15.2f}")
    print(
        f"{'  of which start-up':<28}{o['startup_s']:>10.2f}{o['startup_s'] / o['wall_s']:>15.2f}"
        "   (spawn -> first testpmd> prompt)"
    )
    print(f"runs per hour: {o['runs_per_hour']:.0f}   (mean throughput {o['mpps']:.2f} Mpps)")
    if args.skip_calibration:
        return
    report = calibration(args)
    print()
    print(calibrate.format_table(report))


if __name__ == "__main__":
    main()
