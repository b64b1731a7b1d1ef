"""Wall time, peak memory and runs/s of a 100,000-run simulator campaign, next to the default one.

The 100k campaign is 50 generated workloads x 2,000 configs (rx 5 x tx 5 x cores 8 x burst 10,
burst being the fifth axis) x 1 trial, streamed into hive-partitioned datasets
(`output.partitioned: true`). Each campaign runs `snakemake --cores N characterize` from scratch
in its own working directory, so the figures include Snakemake's per-job cost, the merge and
the archive.

Memory is reported two ways: the largest single process (ru_maxrss of the waited-for
descendants) and the peak of the whole process tree's summed RSS, sampled every 0.2 s.

    nice -n 10 .venv/bin/python benchmarks/campaign_100k.py --cores 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

BIG = {
    "campaign": "bench100k",
    "workloads": {"generate": {"count": 50, "seed": 1}},
    "grid": {
        "rx_desc": [128, 256, 512, 1024, 2048],
        "tx_desc": [128, 256, 512, 1024, 2048],
        "cores": [1, 2, 3, 4, 6, 8, 12, 16],
        "burst": [4, 8, 16, 24, 32, 48, 64, 96, 128, 256],
    },
    "trials": 1,
    "output": {"partitioned": True},
}
DEFAULT = {"campaign": "benchdefault"}  # config/config.yaml as shipped


#: Runs a command and writes the peak RSS (KiB) of its largest descendant to argv[1]: a fresh
#: process, so one campaign's high-water mark does not hide the next one's.
_WRAP = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def expected_runs(overrides: dict) -> int:
    from dpdktune.campaign.plan import expected_runs as count
    from dpdktune.config import load_config

    return count(load_config(overrides=overrides))


#: Which process is which: the rule scripts run as `python .snakemake/scripts/tmpXXX.<name>.py`.
_ROLES = {"characterize_batch": "run_batch", "characterize_merge": "merge", "characterize_archive": "archive"}


def _tree_rss_kib(root: int) -> dict[str, int]:
    """RSS of `root`'s process tree: the sum, and the largest process of each role, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            pid, ppid = int(entry.name), int(fields[1])
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
            children.setdefault(ppid, []).append(pid)
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    out = {"tree": 0}
    stack = [root]
    while stack:
        pid = stack.pop()
        out["tree"] += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        role = next((r for key, r in _ROLES.items() if key in cmdline), "snakemake" if "snakemake" in cmdline else None)
        if role:
            out[role] = max(out.get(role, 0), rss.get(pid, 0))
    return out


def _measure(label: str, work: Path, overrides: dict, cores: int, timeout_s: float, *extra: str) -> dict:
    """Run `snakemake characterize` in `work`; its wall time and peak memory."""
    (work / "override.yaml").write_text(yaml.safe_dump(overrides))
    cmd = [
        SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "override.yaml"),
        "--cores",
        str(cores),
        "characterize",
        *extra,
        "--quiet",
        "all",
    ]  # target first: --forcerun and --quiet take lists
    print(f"[{label}] {' '.join(cmd)}", flush=True)
    peak: dict[str, int] = {}
    with open(work / f"snakemake-{label}.log", "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAP, str(work / "maxrss"), *cmd], stdout=log, stderr=subprocess.STDOUT
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                for role, kib in _tree_rss_kib(proc.pid).items():
                    peak[role] = max(peak.get(role, 0), kib)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise SystemExit(f"[{label}] did not finish within {timeout_s} s; see {log.name}") from None
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - started
    if rc != 0:
        raise SystemExit(f"[{label}] snakemake failed (exit {rc}); see {log.name}")
    return {
        "wall_s": round(wall, 1),
        # other work on the machine slows every figure; the 1-minute load average says how much
        "load_avg_end": round(os.getloadavg()[0], 2),
        "peak_tree_rss_mib": round(peak.get("tree", 0) / 1024, 1),
        "peak_process_rss_mib": round(int((work / "maxrss").read_text()) / 1024, 1),
        # sampled every 0.2 s, largest single process of each role
        "peak_rss_mib_by_role": {r: round(k / 1024, 1) for r, k in sorted(peak.items()) if r != "tree"},
    }


def run_campaign(label: str, overrides: dict, cores: int, base: Path, timeout_s: float) -> dict:
    """A whole campaign from scratch in `base/label`."""
    work = base / label
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "config").symlink_to(REPO / "config")
    runs = expected_runs(overrides)
    result = _measure(label, work, overrides, cores, timeout_s)
    manifest = json.loads((work / "results/characterize/manifest.json").read_text())
    if manifest["recorded_runs"] != runs:
        raise SystemExit(f"[{label}] recorded {manifest['recorded_runs']} runs, expected {runs}")
    return {
        "runs": runs,
        "failed_runs": manifest["failed_runs"],
        **result,
        "runs_per_s": round(runs / result["wall_s"], 1),
        "dataset_mib": round(_size(work / "results/characterize") / 2**20, 1),
    }


def rerun_merge(label: str, work: Path, overrides: dict, cores: int, timeout_s: float) -> dict:
    """Only the merge (and archive) of an existing campaign's batches, e.g. as one file instead."""
    return _measure(label, work, overrides, cores, timeout_s, "--forcerun", "merge_dataset")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "journal" not in p.parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workloads", type=int, default=50, help="generated workloads (50: 100k runs)")
    parser.add_argument("--skip-default", action="store_true", help="only the big campaign")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a fresh temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the working directories")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per campaign")
    parser.add_argument("--out", type=Path, default=REPO / "results/benchmarks/campaign_100k.json")
    args = parser.parse_args()

    base = args.workdir or Path(tempfile.mkdtemp(prefix="dpdktune-bench-"))
    big = BIG | {"workloads": {"generate": {"count": args.workloads, "seed": 1}}}
    campaigns = ([] if args.skip_default else [("default", DEFAULT)]) + [("100k", big)]
    results, merges = {}, {}
    try:
        for name, overrides in campaigns:
            results[name] = run_campaign(name, overrides, args.cores, base, args.timeout)
            print(f"[{name}] {results[name]}", flush=True)
        # The merge alone, streamed vs one table, on the 100k campaign's batches.
        single = big | {"output": {"partitioned": False}}
        for name, overrides in (("partitioned", big), ("single file", single)):
            merges[name] = rerun_merge(
                f"merge-{name.replace(' ', '-')}", base / "100k", overrides, args.cores, args.timeout
            )
            print(f"[merge, {name}] {merges[name]}", flush=True)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)

    print(
        f"\n{'campaign':<12}{'runs':>9}{'wall s':>9}{'runs/s':>9}{'tree RSS MiB':>14}{'proc RSS MiB':>14}"
        "  largest process per role (MiB)"
    )
    for name, r in results.items():
        print(
            f"{name:<12}{r['runs']:>9}{r['wall_s']:>9.1f}{r['runs_per_s']:>9.1f}"
            f"{r['peak_tree_rss_mib']:>14.0f}{r['peak_process_rss_mib']:>14.0f}  {r['peak_rss_mib_by_role']}"
        )
    if "default" in results:
        d, b = results["default"], results["100k"]
        print(
            f"\n100k / default: runs/s x{b['runs_per_s'] / d['runs_per_s']:.2f}, "
            f"runs x{b['runs'] / d['runs']:.1f}, peak tree RSS x{b['peak_tree_rss_mib'] / d['peak_tree_rss_mib']:.2f}"
        )
    print(
        f"\n{'100k merge only':<16}{'wall s':>9}{'tree RSS MiB':>14}{'proc RSS MiB':>14}"
        "  largest process per role (MiB)"
    )
    for name, r in merges.items():
        print(
            f"{name:<16}{r['wall_s']:>9.1f}{r['peak_tree_rss_mib']:>14.0f}{r['peak_process_rss_mib']:>14.0f}"
            f"  {r['peak_rss_mib_by_role']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cores": args.cores, "campaigns": results, "merge_100k": merges}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
