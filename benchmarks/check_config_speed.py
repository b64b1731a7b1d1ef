"""Time `dpdktune check-config` (a fresh interpreter each time, as a user runs it) on configs from
the default up to a huge one: 100,000 generated workloads x an 11 x 13 x 4,000 x 1,024 grid x 100
trials (5.9e18 runs, refused without max_runs), the same with max_runs raised, and a file just
under the 256 KiB cap. Goal: under 2 s for any input, i.e. the count is computed, never
enumerated, and files and lists are bounded before the costly checks.

    .venv/bin/python benchmarks/check_config_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 2.0


def _configs(folder: Path) -> dict[str, list[str]]:
    rx = "[8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]"
    tx = "[8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]"
    huge = folder / "huge.yaml"
    huge.write_text(
        "workloads: {generate: {count: 100000, seed: 1}}\ntrials: 100\nhardware: xeon6140-cx5-100g\n"
        f"grid: {{rx_desc: {rx}, tx_desc: {tx}, cores: [{', '.join(map(str, range(1, 4001)))}], "
        f"burst: [{', '.join(map(str, range(1, 1025)))}]}}\n"
    )
    allowed = folder / "allowed.yaml"
    allowed.write_text("max_runs: 1000000000000000000\n")
    near_cap = folder / "near_cap.yaml"  # just under the 256 KiB file cap, one 35,000-value list
    near_cap.write_text(f"grid: {{cores: [{', '.join(map(str, range(1, 35001)))}]}}\n")
    return {
        "default": [],
        "huge (refused)": [str(huge)],
        "huge, max_runs raised": [str(huge), str(allowed)],
        "250 KiB file": [str(near_cap)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    command = [str(Path(sys.executable).with_name("dpdktune")), "check-config"]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'config':<24}{'median s':>10}{'max s':>8}{'max/goal':>10}  answer")
        for name, files in _configs(Path(tmp)).items():
            times, answer = [], ""
            for _ in range(args.repeat):
                start = time.perf_counter()
                out = subprocess.run([*command, *files], capture_output=True, text=True, timeout=60)
                times.append(time.perf_counter() - start)
                answer = (out.stdout or out.stderr).strip().splitlines()[0][:70]
            median, worst = statistics.median(times), max(times)
            print(f"{name:<24}{median:>10.2f}{worst:>8.2f}{worst / GOAL_S:>10.2f}  {answer}")


if __name__ == "__main__":
    main()
