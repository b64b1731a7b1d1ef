"""`dpdktune status`: sweep progress, failures and ETA, read from the run journals."""

from __future__ import annotations

import argparse

from dpdktune.campaign.status import format_progress, progress
from dpdktune.config import load_config


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("status", help="sweep progress, failures and ETA")
    parser.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    parser.add_argument("--results", default="results", help="the results folder (default: results)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel batch jobs, for the ETA")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    config = load_config(*args.configfile)
    print(format_progress(progress(config, args.results), parallel_jobs=args.jobs))
    return 0
