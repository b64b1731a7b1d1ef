"""`dpdktune sim`: simulate one run and print its record as JSON (the METRIC_NAMES keys)."""

from __future__ import annotations

import argparse
import json
import math
import sys

from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import METRIC_NAMES
from dpdktune.sim import simulate
from dpdktune.workloads import config_catalogue, load_catalogue

#: the profile of config/config.yaml, for a run outside any config
DEFAULT_HARDWARE = "xeon6140-cx5-100g"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("sim", help="simulate one run and print its metrics as JSON", description=__doc__)
    parser.add_argument(
        "--hardware",
        default=None,
        metavar="PROFILE",
        help="profile in config/hardware/ or a path; `dpdktune profiles` lists them "
        f"(default: the --configfile's `hardware`, else {DEFAULT_HARDWARE})",
    )
    parser.add_argument(
        "--workload",
        required=True,
        metavar="NAME",
        help="name in config/workloads.yaml or a --configfile's own workloads; `dpdktune workloads` lists them",
    )
    parser.add_argument(
        "--rx-desc",
        type=int,
        required=True,
        metavar="N",
        help="RX ring size per queue, descriptors (a power of two, e.g. 1024)",
    )
    parser.add_argument(
        "--tx-desc",
        type=int,
        required=True,
        metavar="N",
        help="TX ring size per queue, descriptors (a power of two, e.g. 1024)",
    )
    parser.add_argument(
        "--cores", type=int, required=True, metavar="N", help="forwarding cores, one RX/TX queue pair each"
    )
    parser.add_argument(
        "--burst", type=int, default=32, metavar="PKTS", help="packets per RX/TX burst (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the run (default: %(default)s)")
    parser.add_argument(
        "--noise-cv",
        type=float,
        default=0.0,
        metavar="CV",
        help="trial-to-trial noise, coefficient of variation 0..1 (default: 0, the physics alone)",
    )
    parser.add_argument(
        "--window-ms",
        type=float,
        default=10.0,
        metavar="MS",
        help="simulated measurement window, milliseconds (default: %(default)s)",
    )
    parser.add_argument(
        "--sample-interval-ms",
        type=float,
        default=0.5,
        metavar="MS",
        help="time-series sample interval, milliseconds (default: %(default)s)",
    )
    parser.add_argument(
        "--configfile",
        action="append",
        default=[],
        metavar="FILE",
        help="a pipeline config (repeatable, merged as Snakemake does): --workload may name "
        "its workload_defs and workloads_file entries too, and its `hardware` is the default",
    )
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    config = None
    if args.configfile:
        from dpdktune.config import load_config

        config = load_config(*args.configfile)
    catalogue = config_catalogue(config) if config else load_catalogue()
    hardware = load_hardware(args.hardware or (config["hardware"] if config else DEFAULT_HARDWARE))
    if args.workload not in catalogue:
        raise ValueError(f"--workload: unknown workload {args.workload!r}; known: {sorted(catalogue)}")
    knobs = Knobs(rx_desc=args.rx_desc, tx_desc=args.tx_desc, cores=args.cores, burst=args.burst)
    out = simulate(
        catalogue[args.workload],
        hardware,
        knobs,
        args.seed,
        window_ms=args.window_ms,
        sample_interval_ms=args.sample_interval_ms,
        noise_cv=args.noise_cv,
    )
    for name, asked in knobs.as_dict().items():
        applied = getattr(out.applied, name)
        if applied != asked:
            print(
                f"dpdktune sim: note: {name} {asked} applied as {applied} (limit of {hardware.name})", file=sys.stderr
            )
    record = {name: _json_value(out.metrics[name]) for name in METRIC_NAMES}
    print(json.dumps(record))
    return 0


def _json_value(value):
    if isinstance(value, list):
        return [float(v) for v in value]
    value = float(value)
    return None if math.isnan(value) else value
