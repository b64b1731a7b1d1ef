"""`dpdktune run`: the two-tier runtime (or a baseline) over a traffic scenario.

    dpdktune run --backend sim|local|ssh --scenario FILE --duration-s N --out DIR
                 [--policy adaptive|static|rules|reactive|fast-only|oracle] [--seed S] [--configfile F]
                 [--tree PATH] [--testbed NAME]

Writes DIR/timeline.parquet and DIR/summary.json; on every backend, rerunning the same command
after a kill (kill -9 included) resumes from DIR's last checkpoint, and rerunning a finished run
runs nothing. On sim the fast tier is fastpath.so in this process over the simulator. On local
the real csrc/l2fwd_tune forwards on net_null for N wall-clock seconds and the slow tier swaps
trees into it (runtime/local_run.py); on ssh the same l2fwd_tune runs on the DUT of a testbed of
the config's `ssh.testbeds` (runtime/ssh_run.py), built there from the uploaded sources.
"""

from __future__ import annotations

import argparse
import json
import sys

from dpdktune.runtime.loop import POLICIES


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the adaptive runtime (or a baseline) over a traffic scenario",
        description="Run the two-tier adaptive runtime (fast tier: the compiled tree, every "
        "decision interval; slow tier: refit, distil, shadow-validate, swap) or a baseline over "
        "a traffic scenario, on the simulator, on this machine's l2fwd_tune (local) or on a testbed "
        "DUT's l2fwd_tune (ssh); writes timeline.parquet and summary.json, and resumes from its "
        "checkpoints when rerun (a finished run is not run again).",
    )
    p.add_argument(
        "--backend",
        default="sim",
        help="sim (the simulator, default); local (the real l2fwd_tune on net_null on this machine) or "
        "ssh (l2fwd_tune on the DUT of a testbed in the config's ssh.testbeds, over SSH); local and ssh "
        "run the policies adaptive and static",
    )
    p.add_argument("--scenario", required=True, help="scenario YAML (a `phases:` list; see config/scenarios/)")
    p.add_argument(
        "--duration-s", type=float, required=True, help="seconds to run (simulated on sim, wall-clock on local and ssh)"
    )
    p.add_argument("--out", required=True, help="output folder (timeline.parquet, summary.json, checkpoints)")
    p.add_argument("--policy", default="adaptive", help=f"one of {', '.join(POLICIES)} (default adaptive)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's)")
    p.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    p.add_argument(
        "--tree",
        default=None,
        help="tree.json to start from (default: a refit on the campaign; "
        "`none`: the safe default until the slow tier publishes)",
    )
    p.add_argument("--twin-cache", default=None, help="folder to share simulated cells between runs")
    p.add_argument(
        "--testbed", default=None, help="ssh only: the name of the testbed in ssh.testbeds (default: the first)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from dpdktune.config import load_config
    from dpdktune.runtime.loop import Run

    if args.backend not in ("sim", "local", "ssh"):
        raise ValueError(f"--backend: {args.backend!r} is not one of sim, local, ssh")
    if args.testbed is not None and args.backend != "ssh":
        raise ValueError(f"--testbed: only for --backend ssh (got --backend {args.backend})")
    config = load_config(*args.configfile)
    if args.backend in ("local", "ssh"):
        from dpdktune.runtime.app_driver import AppError
        from dpdktune.runtime.local_run import LocalRun, main_summary_line

        run_args = (config, args.scenario, args.duration_s, args.out, args.policy, args.seed, args.tree)
        if args.backend == "ssh":
            from dpdktune.runtime.ssh_run import SshRun

            run = SshRun(*run_args, testbed=args.testbed)
        else:
            run = LocalRun(*run_args)
        try:
            summary = run.run()
        except AppError as exc:  # the app's own failure: one line, as for bad input
            raise ValueError(str(exc)) from None
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the app is stopped, the rows so far are written
            print(
                f"dpdktune run: interrupted; l2fwd_tune stopped; partial timeline and summary in {args.out} "
                f"(rerun the same command to resume)",
                file=sys.stderr,
            )
            return 130
        if run.already_finished:
            print(
                f"dpdktune run: {args.out} holds a finished run ({summary['intervals']} intervals); nothing to run",
                file=sys.stderr,
            )
        print(main_summary_line(summary))
        return 0
    summary = Run(
        config, args.scenario, args.duration_s, args.out, args.policy, args.seed, args.tree, args.twin_cache
    ).run()
    keys = (
        "policy",
        "fraction_of_oracle",
        "adaptation_median_s",
        "below_safe_default_share",
        "swaps",
        "rollbacks",
        "fallbacks",
        "peak_rss_mb",
    )
    print(json.dumps({k: summary[k] for k in keys}))
    return 0
