"""The `dpdktune` command: sim, status, calibrate, check-config."""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> module with add_parser(subparsers), which sets args.func
SUBCOMMANDS = {
    "sim": "dpdktune.sim.cli",
    "status": "dpdktune.cli_status",
    "calibrate": "dpdktune.calibrate",
    "check-config": "dpdktune.cli_check_config",
    "score": "dpdktune.score",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dpdktune", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad input: say which key or value, no traceback
        print(f"dpdktune {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
