"""Archive a finished campaign read-only under results/archive/<campaign-id>/."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml


def archive_campaign(
    config: dict[str, Any], files: list[str | Path], journal_dir: str | Path, archive_dir: str | Path
) -> None:
    """Copy the dataset, manifest and per-run journals (the per-run logs) plus the config used,
    then drop write permission. A re-archive of the same campaign id replaces the old copy."""
    archive_dir = Path(archive_dir)
    tmp = archive_dir.with_name(archive_dir.name + ".tmp")
    for path in (tmp, archive_dir):
        if path.exists():
            _make_writable(path)
            shutil.rmtree(path)
    tmp.mkdir(parents=True)
    for f in files:
        copy = shutil.copytree if Path(f).is_dir() else shutil.copy2  # a partitioned dataset is a directory
        copy(f, tmp / Path(f).name)
    shutil.copytree(journal_dir, tmp / "runs")
    (tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
    os.replace(tmp, archive_dir)
    _make_read_only(archive_dir)


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        path.chmod(mode)


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
