"""The code is ruff-clean (lint and format) and the Snakefile and rules are snakefmt-clean.

Both tools read their settings from pyproject.toml; `ruff format .` and `snakefmt Snakefile rules`
fix what these tests report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "--no-cache", "--output-format", "concise", "."],
        ["ruff", "format", "--no-cache", "--check", "."],
        ["snakefmt", "--check", "Snakefile", "rules"],
    ],
    ids=["ruff-check", "ruff-format", "snakefmt"],
)
def test_tool_is_clean(argv):
    program = BIN / argv[0]
    assert program.exists(), f"{argv[0]} is not installed in {BIN}: pip install -e '.[test]'"
    proc = subprocess.run([str(program), *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
