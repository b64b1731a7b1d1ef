"""The README's `make -C csrc/l2fwd_tune FASTPATH_TREE=results/...` works with a relative path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "cwd, tree",
    [
        (".", "results/codegen/fastpath_tree.c"),  # from the project root, as the README shows
        ("csrc/l2fwd_tune", "../../results/codegen/fastpath_tree.c"),  # from the app's own folder
    ],
)
def test_a_relative_tree_path_is_read_from_where_make_was_invoked(tmp_path, cwd, tree):
    if not shutil.which("make"):
        pytest.skip("make not found")
    project = tmp_path / "project"
    shutil.copytree(REPO / "csrc", project / "csrc", ignore=shutil.ignore_patterns("build"))
    target = project / "results/codegen/fastpath_tree.c"
    target.parent.mkdir(parents=True)
    target.write_text("/* a tree */\n")
    args = ["make", "-n", "-C", "csrc/l2fwd_tune"] if cwd == "." else ["make", "-n"]
    out = subprocess.run(
        [*args, f"FASTPATH_TREE={tree}", f"BUILD={tmp_path / 'build'}"],
        cwd=project / cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PWD": str(project / cwd)},
    )  # as a shell sets it
    assert str(target) in out.stdout, out.stdout + out.stderr
    assert "No rule to make target" not in out.stderr
