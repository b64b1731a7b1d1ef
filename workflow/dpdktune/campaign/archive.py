"""Archive a finished campaign read-only under results/archive/<campaign-id>/."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from dpdktune.atomic import replacing_dir, write_text


def archive_campaign(
    config: dict[str, Any], files: list[str | Path], journal_dir: str | Path, archive_dir: str | Path
) -> None:
    """Copy the dataset, manifest and per-run journals (the per-run logs) plus the config used,
    then drop write permission. A re-archive of the same campaign id replaces the old copy, but
    only once the new one is complete: a failed or killed re-archive keeps the old archive."""
    with replacing_dir(archive_dir) as tmp:
        for f in files:
            copy = shutil.copytree if Path(f).is_dir() else shutil.copy2  # a partitioned dataset is a directory
            copy(f, tmp / Path(f).name)
        shutil.copytree(journal_dir, tmp / "runs")
        write_text(yaml.safe_dump(config, sort_keys=True), tmp / "config.yaml")
        _make_read_only(tmp)


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        path.chmod(mode)
