"""dpdktune: measure the DPDK tuning landscape, decide whether ML is worth it, and compile the
policy into a data-plane decision tree. The pipeline itself runs with `snakemake --cores N`;
these commands check, inspect and try things around it."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from dpdktune import __version__

#: subcommand -> module with add_parser(subparsers), which sets args.func
SUBCOMMANDS = {
    "check-config": "dpdktune.cli_check_config",
    "preflight": "dpdktune.preflight",
    "status": "dpdktune.cli_status",
    "workloads": "dpdktune.cli_workloads",
    "profiles": "dpdktune.cli_profiles",
    "sim": "dpdktune.sim.cli",
    "calibrate": "dpdktune.calibrate",
    "init": "dpdktune.cli_init",
    "score": "dpdktune.score",
    "run": "dpdktune.runtime.cli",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (importing the others' modules,
    numpy and the simulator among them, would cost a second)."""
    parser = argparse.ArgumentParser(prog="dpdktune", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dpdktune {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        if only in (None, name):
            importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in SUBCOMMANDS else None).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad input: say which key or value, no traceback
        print(f"dpdktune {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (`dpdktune workloads | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush is quiet too
        return 1


if __name__ == "__main__":
    sys.exit(main())
