"""`dpdktune workloads`: the named workloads of config/workloads.yaml and their key fields.

Columns: frame sizes in bytes (with their weights when mixed), offered load (absolute Mpps, or a
share of the line rate), arrival process, flows and their Zipf skew, application cycles per
packet, and direction. Name them in the config's `workloads:` list.
"""

from __future__ import annotations

import argparse

from dpdktune.workloads import Workload, load_catalogue


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "workloads",
        help="list the catalogue workloads and their key fields",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--long", action="store_true", help="also print each workload's description")
    parser.set_defaults(func=main)


def _sizes(w: Workload) -> str:
    if len(w.sizes) == 1:
        return str(w.sizes[0])
    total = sum(w.size_weights)
    return "/".join(f"{s}:{wt / total:.0%}" for s, wt in zip(w.sizes, w.size_weights))


def _load(w: Workload) -> str:
    return f"{w.offered_mpps:g} Mpps" if w.offered_mpps is not None else f"{w.line_fraction:.0%} line"


def _arrival(w: Workload) -> str:
    a = w.arrival
    if a.process == "onoff":
        return f"onoff {a.on_us:g}/{a.off_us:g} us"
    return a.process


def rows(catalogue: dict[str, Workload]) -> list[list[str]]:
    header = ["name", "sizes (B)", "load", "arrival", "flows", "zipf", "app cyc", "dir"]
    body = [
        [w.name, _sizes(w), _load(w), _arrival(w), str(w.flows), f"{w.zipf_s:g}", f"{w.app_cycles:g}", w.direction]
        for w in catalogue.values()
    ]
    return [header, *body]


def table(rows_: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows_) for i in range(len(rows_[0]))]
    return "\n".join("  ".join(c.ljust(n) for c, n in zip(r, widths)).rstrip() for r in rows_)


def main(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    print(table(rows(catalogue)))
    if args.long:
        print()
        for w in catalogue.values():
            print(f"{w.name}: {w.description}")
    return 0
