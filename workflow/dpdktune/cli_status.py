"""`dpdktune status`: sweep progress, failures and ETA, read from the run journals.

Run it in the project directory (where `snakemake` runs), or point --results at one. Before the
first run finishes, the ETA is estimated from the config (the same model as check-config);
after that it uses the measured mean run time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dpdktune.campaign.status import format_progress, journal_dir, progress
from dpdktune.config import load_config


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="sweep progress, failures and ETA",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--configfile",
        action="append",
        default=[],
        metavar="FILE",
        help="config overrides, as for snakemake (repeatable)",
    )
    parser.add_argument("--results", default="results", metavar="DIR", help="the results folder (default: results)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="parallel batch jobs (snakemake --cores), for the ETA (default: 1)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    results = Path(args.results)
    if not (results / "characterize").is_dir():
        print(
            f"dpdktune status: no dpdktune results here ({results.resolve()} holds no characterize/); "
            "run it in the project directory where snakemake ran, or pass --results DIR",
            file=sys.stderr,
        )
        return 1
    config = load_config(*args.configfile)
    print(format_progress(progress(config, results), parallel_jobs=args.jobs))
    mine, journals = journal_dir(config, results), results / "characterize" / "journal"
    others = sorted(d.name for d in journals.glob("*") if d.is_dir() and d != mine) if not mine.is_dir() else []
    if others:  # snakemake ran with other config files: this one's campaign has no runs here
        print(
            f"dpdktune status: note: {results} holds no run of this config's campaign {mine.name}, but runs of "
            f"{', '.join(others)}; pass the --configfile snakemake ran with",
            file=sys.stderr,
        )
    return 0
