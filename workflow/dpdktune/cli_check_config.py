"""`dpdktune check-config`: what can be known from the config alone, without touching a testbed.

Each config file is read strictly (no duplicate keys, a mapping at the top), merged onto
config/config.yaml as `snakemake --configfile` does, checked against config/schema.yaml and
then for what a schema cannot see (names, hardware limits, testbeds, key and known_hosts
files). Every problem is one line. The run count is computed, never enumerated, so a huge grid
answers as fast as a small one; the ETA uses the cost model of `dpdktune status`.
"""

from __future__ import annotations

import argparse
import sys

from dpdktune.config import (
    DEFAULT_CONFIG,
    ConfigError,
    check_schema,
    check_semantics,
    deep_merge,
    load_yaml_file,
    missing_files,
    run_count,
    training_split_problem,
    unmeasured_objective_problem,
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "check-config",
        help="check a config without running anything; print its run count and ETA",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("configfile", nargs="*", help="config overrides, merged onto config/config.yaml in order")
    parser.add_argument(
        "--configfile",
        dest="configfiles",
        action="append",
        default=[],
        metavar="FILE",
        help="the same, spelled as for snakemake (repeatable)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="parallel batch jobs (snakemake --cores), for the ETA (default: 1)",
    )
    parser.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        help="accept a campaign of up to N runs, as `snakemake --config max_runs=N` does "
        "(default: the config's max_runs, 1000000)",
    )
    parser.set_defaults(func=main)


def problems(files: list[str], max_runs: int | None = None) -> tuple[dict | None, list[str]]:
    """(the merged config, or None if it is unusable; one line per problem)."""
    try:
        config = load_yaml_file(DEFAULT_CONFIG)
        for path in files:
            config = deep_merge(config, load_yaml_file(path))
    except ConfigError as exc:
        return None, [str(exc)]
    if max_runs is not None:
        config["max_runs"] = max_runs
    try:
        check_schema(config)
    except ConfigError as exc:
        return None, [line.strip() for line in str(exc).splitlines()[1:]]
    found = []
    try:
        check_semantics(config)
    except ConfigError as exc:
        found.append(str(exc))
    try:
        found += missing_files(config)
    except ValueError:
        pass  # a malformed testbed: check_semantics has named it
    return config, found


def main(args: argparse.Namespace) -> int:
    from dpdktune.campaign.plan import campaign_id
    from dpdktune.campaign.status import estimated_run_s, eta_s, format_duration

    files = [*args.configfile, *args.configfiles]
    config, found = problems(files, args.max_runs)
    for line in found:
        print(f"dpdktune check-config: {line}", file=sys.stderr)
    if found:
        return 2
    runs = run_count(config)
    eta = eta_s(runs, estimated_run_s(config), args.jobs)
    print(
        f"ok: campaign {campaign_id(config)}, {runs:,} runs on backend {config['backend']}, "
        f"ETA {format_duration(eta)} at {args.jobs} parallel job(s) "
        f"(estimated: {estimated_run_s(config):g} s per run)"
    )
    for limit in (training_split_problem(config), unmeasured_objective_problem(config)):
        if limit:  # characterize runs; the analysis and report will stop with this line
            print(f"note: {limit}")
    return 0
