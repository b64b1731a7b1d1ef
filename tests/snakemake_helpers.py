"""Run the real Snakemake on this repo's Snakefile in a throwaway working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def workdir(tmp_path: Path, overrides: dict | None = None) -> Path:
    """A working directory that sees the repo's config/, profiles/ and csrc/, plus an override file."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("config", "profiles", "csrc"):
        (work / name).symlink_to(REPO / name)
    (work / "override.yaml").write_text(yaml.safe_dump(overrides or {}))
    return work


def snakemake_cmd(work: Path, *args: str) -> list[str]:
    return [
        SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "override.yaml"),
        *args,
    ]


def run_snakemake(work: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_cmd(work, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
