"""`dpdktune check-config`: validate a config as the pipeline will, and name any bad key."""

from __future__ import annotations

import argparse

from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.config import load_config


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("check-config", help="validate config overrides against the schema")
    parser.add_argument("configfile", nargs="*", help="config overrides, merged onto config/config.yaml")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    config = load_config(*args.configfile)
    print(f"ok: campaign {campaign_id(config)}, {expected_runs(config)} runs on backend {config['backend']}")
    return 0
