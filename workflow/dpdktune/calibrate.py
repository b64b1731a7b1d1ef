"""`dpdktune calibrate`: fit a hardware profile's CPU-side costs to real runs.

Measurements come from the local or ssh backend (a dataset Parquet, or measured now). For
each measured config the simulator runs the same workload, saturating as the real replay was,
on the candidate profile; least squares on log(sim / real) cycles per packet picks
`fwd_base_cycles`, `per_burst_cycles` (given two or more burst sizes) and `core_contention`
(given two or more core counts). The profile's CPU clock is the measured TSC.
The sim/real ratios per config are printed before and after the fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from dpdktune.atomic import write_text
from dpdktune.hardware import HARDWARE_DIR, HardwareProfile, load_hardware
from dpdktune.knobs import Knobs
from dpdktune.sections import section
from dpdktune.workloads import Workload

#: the simulated offered load is this many times what the real replay delivered, so that the
#: simulated core saturates as the real one did (the pcap replay is unpaced)
SATURATE = 4.0
# Virtual devices (net_pcap/net_null, memif) have no wire, NIC pipeline, PCIe link, DMA into
# the LLC or vector receive path: lift those limits. net_null frees sent mbufs at once.
VIRTUAL_LIMITS = {
    "link_gbps": 1e5,
    "nic_max_mpps": 1e5,
    "queue_max_mpps": 1e5,
    "pcie_lane_gbps": 1e5,
    "llc_mb": 1e6,
    "rx_burst_cap": 1 << 16,
    "tx_free_thresh": 0,
}
#: the CPU-side constants `fit` adjusts; core_contention only when the runs vary the core count
FITTED = ("fwd_base_cycles", "per_burst_cycles", "core_contention")


@dataclass(frozen=True)
class Measurement:
    """One real run: what ran (applied knobs) and what it cost."""

    run_id: str
    workload: Workload
    knobs: Knobs
    throughput_mpps: float
    offered_mpps: float
    cycles_per_packet: float
    mean_burst: float | None
    tsc_mhz: float | None
    machine_cpus: int | None
    backend: str
    virtual_devices: bool


def measurements_from_rows(rows: Iterable[dict[str, Any]], workloads: dict[str, Workload]) -> list[Measurement]:
    """Usable measurements from experiment records (EXPERIMENT_SCHEMA rows): status ok, a real
    backend, and a cycles-per-packet reading. Workloads are looked up by name."""
    out = []
    for row in rows:
        if row.get("status") != "ok" or row.get("backend") not in ("local", "ssh"):
            continue
        if row.get("cycles_per_packet") is None or not row.get("throughput_mpps"):
            continue
        name = row["workload"]
        if name not in workloads:
            raise ValueError(f"calibrate: workload {name!r} of run {row['run_id']} is not in the catalogue")
        extra = json.loads(row["extra"]) if isinstance(row.get("extra"), str) else (row.get("extra") or {})
        topology = (extra.get("topology") or {}).get("applied", "pci")
        out.append(
            Measurement(
                run_id=row["run_id"],
                workload=workloads[name],
                knobs=Knobs(
                    *(int(row.get(f"applied_{k}") or row[k]) for k in ("rx_desc", "tx_desc", "cores", "burst"))
                ),
                throughput_mpps=float(row["throughput_mpps"]),
                offered_mpps=float(row.get("offered_mpps") or row["throughput_mpps"]),
                cycles_per_packet=float(row["cycles_per_packet"]),
                mean_burst=(extra.get("burst_distribution") or {}).get("mean_per_nonempty_poll"),
                tsc_mhz=extra.get("tsc_mhz"),
                machine_cpus=extra.get("machine_cpus"),
                backend=row["backend"],
                virtual_devices=topology in ("pcap_null", "memif"),
            )
        )
    if not out:
        raise ValueError("calibrate: no usable measurements (need status ok, backend local/ssh, and cycles_per_packet)")
    return out


def machine_profile(base: HardwareProfile, ms: list[Measurement], name: str) -> HardwareProfile:
    """`base` with what the measurements tell about the machine: TSC clock, CPU count and, for
    virtual devices, no wire or NIC limit."""
    changes: dict[str, Any] = {"name": name}
    sources = dict(base.sources)
    tsc = [m.tsc_mhz for m in ms if m.tsc_mhz]
    if tsc:
        changes["cpu_ghz"] = float(np.median(tsc)) / 1000
        sources["cpu_ghz"] = "testpmd --record-core-cycles TSC clock of the measured runs"
    cpus = [m.machine_cpus for m in ms if m.machine_cpus]
    if cpus:
        changes["cores"] = int(max(cpus))
        sources["cores"] = "CPUs of the measured machine"
    if all(m.virtual_devices for m in ms):
        fields = {f.name for f in dataclasses.fields(HardwareProfile)}
        for key, value in VIRTUAL_LIMITS.items():
            if key in fields:
                changes[key] = value
                sources[key] = "virtual devices (net_pcap/net_null/memif): no wire, NIC, PCIe or DDIO limit"
    changes["sources"] = sources
    return dataclasses.replace(base, **changes)


def _sim_run(hw: HardwareProfile, m: Measurement, seed: int) -> dict[str, Any]:
    from dpdktune.sim import simulate

    workload = dataclasses.replace(m.workload, offered_mpps=max(m.offered_mpps, m.throughput_mpps) * SATURATE)
    out = simulate(workload, hw, m.knobs, seed, noise_cv=0.0)
    return out.metrics


def compare(hw: HardwareProfile, ms: list[Measurement], seed: int = 0) -> list[dict[str, Any]]:
    """Per measured config: real and simulated throughput and cycles/packet, and sim/real ratios."""
    rows = []
    for m in ms:
        sim = _sim_run(hw, m, seed)
        rows.append(
            {
                "run_id": m.run_id,
                "workload": m.workload.name,
                **m.knobs.as_dict(),
                "real_mpps": m.throughput_mpps,
                "sim_mpps": sim["throughput_mpps"],
                "mpps_ratio": sim["throughput_mpps"] / m.throughput_mpps,
                "real_cpp": m.cycles_per_packet,
                "sim_cpp": sim["cycles_per_packet"],
                "cpp_ratio": sim["cycles_per_packet"] / m.cycles_per_packet,
            }
        )
    return rows


def error_summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Median and worst |sim/real - 1| over configs, for throughput and cycles/packet."""
    out = {}
    for key in ("mpps_ratio", "cpp_ratio"):
        err = np.abs(np.asarray([r[key] for r in rows], float) - 1.0)
        out[f"{key}_median_abs_err"] = float(np.median(err))
        out[f"{key}_max_abs_err"] = float(np.max(err))
    return out


def fit(
    base: HardwareProfile, ms: list[Measurement], name: str, seed: int = 0
) -> tuple[HardwareProfile, dict[str, Any]]:
    """The calibrated profile and a report (fitted values, per-config ratios before and after).

    Least squares on log(sim / real) cycles per packet. One burst size cannot tell the
    per-packet from the per-call cost, so the per-call cost is then kept; the core contention
    is fitted only when the runs use more than one core count."""
    from scipy.optimize import least_squares

    start = machine_profile(base, ms, name)
    real = np.log([m.cycles_per_packet for m in ms])
    bursts = {m.knobs.burst for m in ms}
    cores = {m.knobs.cores for m in ms}
    free = ["fwd_base_cycles"]
    if len(bursts) >= 2:
        free.append("per_burst_cycles")
    if len(cores) >= 2:
        free.append("core_contention")

    def profile(x: np.ndarray) -> HardwareProfile:
        return dataclasses.replace(start, **{k: float(v) for k, v in zip(free, x)})

    def residuals(x: np.ndarray) -> np.ndarray:
        hw = profile(x)
        return np.log([_sim_run(hw, m, seed)["cycles_per_packet"] for m in ms]) - real

    x0 = np.array([max(getattr(start, k), 1e-3) for k in free], float)
    sol = least_squares(residuals, x0, bounds=([0.0] * len(free), [np.inf] * len(free)), diff_step=1e-3)
    notes = [f"fitted {', '.join(free)} over bursts {sorted(bursts)} and cores {sorted(cores)}"]
    if len(bursts) < 2:
        notes.append(f"one burst size {sorted(bursts)}: per_burst_cycles kept from {base.name}")
    if len(cores) < 2:
        notes.append(f"one core count: core_contention kept from {base.name}")
    note = "; ".join(notes)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    backends = sorted({m.backend for m in ms})
    sources = dict(start.sources)
    for key in free:
        sources[key] = f"dpdktune calibrate {stamp}: least squares on {len(ms)} {'/'.join(backends)} runs ({note})"
    calibrated = dataclasses.replace(
        profile(sol.x),
        **{k: round(float(getattr(profile(sol.x), k)), 4) for k in free},
        description=f"{base.description}; calibrated to {'/'.join(backends)} measurements ({stamp})",
        sources=sources,
    )
    before, after = compare(start, ms, seed), compare(calibrated, ms, seed)
    report = {
        "base": base.name,
        "name": name,
        "runs": len(ms),
        "note": note,
        "fitted": {k: getattr(calibrated, k) for k in FITTED},
        "start": {k: getattr(start, k) for k in FITTED},
        "before": before,
        "after": after,
        "error_before": error_summary(before),
        "error_after": error_summary(after),
    }
    return calibrated, report


def write_profile(hw: HardwareProfile, path: str | Path) -> Path:
    """The profile as YAML, written atomically; load_hardware() reads it back."""
    data = dataclasses.asdict(hw)
    header = "# Written by `dpdktune calibrate` from profile fields; see `sources` for what was fitted.\n"
    return write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), path)


def format_table(report: dict[str, Any]) -> str:
    """Sim vs real per config, as ratios, before and after calibration."""
    lines = [
        f"calibrated {report['name']} from {report['base']} on {report['runs']} runs ({report['note']})",
        *(f"  {k} {report['start'][k]:.4g} -> {report['fitted'][k]:.4g}" for k in FITTED),
        "",
        f"{'workload':<12}{'rx':>6}{'tx':>6}{'cores':>6}{'burst':>6}{'real Mpps':>11}{'sim/real':>10}"
        f"{'(before)':>10}{'real cyc/pkt':>14}{'sim/real':>10}{'(before)':>10}",
    ]
    for b, a in zip(report["before"], report["after"]):
        lines.append(
            f"{a['workload'][:11]:<12}{a['rx_desc']:>6}{a['tx_desc']:>6}{a['cores']:>6}{a['burst']:>6}"
            f"{a['real_mpps']:>11.2f}{a['mpps_ratio']:>10.3f}{b['mpps_ratio']:>10.3f}"
            f"{a['real_cpp']:>14.1f}{a['cpp_ratio']:>10.3f}{b['cpp_ratio']:>10.3f}"
        )
    eb, ea = report["error_before"], report["error_after"]
    lines += [
        "",
        f"median |sim/real - 1|: throughput {ea['mpps_ratio_median_abs_err']:.3f} "
        f"(before {eb['mpps_ratio_median_abs_err']:.3f}), cycles/packet {ea['cpp_ratio_median_abs_err']:.3f} "
        f"(before {eb['cpp_ratio_median_abs_err']:.3f})",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ measuring now


def measure(
    config: dict[str, Any], workloads: list[Workload], grid: list[Knobs], trials: int = 1
) -> list[dict[str, Any]]:
    """Run the config's backend (local or ssh) over `grid` for `workloads`; experiment-record rows."""
    from dpdktune.backends import RunSpec, make_backend
    from dpdktune.campaign.runner import run_with_retry
    from dpdktune.campaign.testbeds import testbed_pool

    if config["backend"] not in ("local", "ssh"):
        raise ValueError(f"backend: calibrate measures with local or ssh, not {config['backend']!r}")
    pool = testbed_pool(config)
    backend = make_backend(config, testbed=pool[0] if config["backend"] == "ssh" and pool else None)
    hw = load_hardware(config["hardware"])
    rows = []
    try:
        for w in workloads:
            for k in grid:
                for trial in range(trials):
                    run_id = f"calib-{w.name}-r{k.rx_desc}-t{k.tx_desc}-c{k.cores}-b{k.burst}-{trial}"
                    spec = RunSpec(run_id=run_id, workload=w, hardware=hw, knobs=k, trial=trial, seed=trial)
                    record, _ = run_with_retry(backend, spec, section(config, "retry"))
                    rows.append(record)
    finally:
        backend.close()
    return rows


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="fit a hardware profile's cycle costs to local/ssh measurements",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--measurements",
        metavar="PARQUET",
        help="experiment records from a local/ssh campaign (results/characterize/dataset.parquet)",
    )
    src.add_argument(
        "--measure", action="store_true", help="measure now with the config's backend (local or ssh) over --rx/--bursts"
    )
    p.add_argument(
        "--configfile",
        action="append",
        default=[],
        metavar="YAML",
        help="config overrides (as for snakemake --configfile); repeatable",
    )
    p.add_argument("--hardware", help="base profile (default: the config's `hardware`)")
    p.add_argument("--name", help="name of the new profile (default: <base>-calibrated-<backend>)")
    p.add_argument("--out", help="where to write it (default: config/hardware/<name>.yaml)")
    p.add_argument("--report", help="also write the comparison as JSON here")
    p.add_argument("--workloads", help="comma-separated catalogue names to measure (default: the config's)")
    p.add_argument(
        "--rx",
        type=_int_list,
        default=[256, 1024],
        metavar="N,N",
        help="RX ring sizes to measure, descriptors (default: 256,1024)",
    )
    p.add_argument(
        "--bursts",
        type=_int_list,
        default=[4, 8, 16, 32, 64],
        metavar="N,N",
        help="burst sizes to measure, packets (default: 4,8,16,32,64)",
    )
    p.add_argument(
        "--cores",
        type=_int_list,
        default=[1],
        metavar="N,N",
        help="forwarding core counts to measure; two or more also fit core_contention (default: 1)",
    )
    p.add_argument("--trials", type=int, default=1, help="runs per measured point (default: %(default)s)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from dpdktune.config import load_config
    from dpdktune.metrics.parquet import read_table
    from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
    from dpdktune.workloads import config_catalogue, resolve, workloads_of

    config = load_config(*args.configfile)
    catalogue = config_catalogue(config)
    if args.measure:
        names = args.workloads.split(",") if args.workloads else None
        workloads = resolve(names, catalogue=catalogue) if names else workloads_of(config)
        grid = [Knobs(rx, rx, c, b) for rx in args.rx for c in args.cores for b in args.bursts]
        rows = measure(config, workloads, grid, args.trials)
        backend = config["backend"]
    else:
        table = read_table(args.measurements, EXPERIMENT_SCHEMA)
        rows = table.to_pylist()
        backend = next((r["backend"] for r in rows if r.get("backend") in ("local", "ssh")), "real")
        if not isinstance(config["workloads"], list):
            catalogue.update({w.name: w for w in resolve(config["workloads"])})
    ms = measurements_from_rows(rows, catalogue)
    base = load_hardware(args.hardware or config["hardware"])
    name = args.name or f"{base.name}-calibrated-{backend}"
    calibrated, report = fit(base, ms, name)
    out = write_profile(calibrated, args.out or HARDWARE_DIR / f"{name}.yaml")
    print(format_table(report))
    print(f"\nwrote {out}")
    if args.report:
        write_text(json.dumps(report, indent=2, default=float), args.report)
    return 0 if all(math.isfinite(r["cpp_ratio"]) for r in report["after"]) else 1
