"""`dpdktune init DIR`: make DIR a dpdktune project (Snakefile, rules, config, csrc, profiles).

Snakemake reads every file from its working directory, so a project holds its own copy of the
workflow; edit its config/ and run `snakemake --cores N characterize` there. Files that already
exist are kept, never overwritten, so init is safe to rerun after an upgrade to add new files.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from dpdktune.paths import default_root, project_paths


def init_project(directory: str | Path) -> tuple[list[Path], list[Path]]:
    """Copy the packaged project into `directory`: (files written, files kept as they were)."""
    source, target = default_root(), Path(directory)
    written, kept = [], []
    for rel in project_paths(source):
        dest = target / rel
        if dest.exists():
            kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copy2(source / rel, tmp)
        tmp.replace(dest)
        written.append(rel)
    return written, kept


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "init",
        help="make a directory a dpdktune project (Snakefile, config, csrc)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", nargs="?", default=".", help="the project directory (default: here)")
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace) -> int:
    written, kept = init_project(args.directory)
    where = Path(args.directory)
    print(
        f"dpdktune init: {len(written)} files written to {where}"
        + (f", {len(kept)} existing files kept" if kept else "")
    )
    print(f"next: cd {where} && snakemake --cores 1 characterize   (edit config/config.yaml first)")
    return 0
