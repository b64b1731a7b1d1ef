"""Archive a finished campaign read-only under results/archive/<campaign-id>/."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

from dpdktune.atomic import write_text


def archive_campaign(
    config: dict[str, Any], files: list[str | Path], journal_dir: str | Path, archive_dir: str | Path
) -> None:
    """Copy the dataset, manifest and per-run journals (the per-run logs) plus the config used,
    then drop write permission. A re-archive of the same campaign id replaces the old copy, but
    only once the new one is complete: a failed or killed re-archive keeps the old archive."""
    archive_dir = Path(archive_dir)
    archive_dir.parent.mkdir(parents=True, exist_ok=True)
    # a folder of our own: two archivers never write into, or remove, each other's copy
    tmp = Path(tempfile.mkdtemp(prefix=f".{archive_dir.name}.tmp-", dir=archive_dir.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would make the archive unreadable to the group
    old = None
    try:
        for f in files:
            copy = shutil.copytree if Path(f).is_dir() else shutil.copy2  # a partitioned dataset is a directory
            copy(f, tmp / Path(f).name)
        shutil.copytree(journal_dir, tmp / "runs")
        write_text(yaml.safe_dump(config, sort_keys=True), tmp / "config.yaml")
        _make_read_only(tmp)
        if archive_dir.exists():  # moved aside, not deleted, until the new copy is in place
            old = Path(tempfile.mkdtemp(prefix=f".{archive_dir.name}.old-", dir=archive_dir.parent))
            os.replace(archive_dir, old / archive_dir.name)
        os.replace(tmp, archive_dir)
    except BaseException:
        if old is not None and not archive_dir.exists():
            os.replace(old / archive_dir.name, archive_dir)  # put the old archive back
        _remove(tmp)
        raise
    if old is not None:
        _remove(old)


def _remove(root: Path) -> None:
    if root.exists():
        _make_writable(root)
        shutil.rmtree(root)


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        path.chmod(mode)


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
