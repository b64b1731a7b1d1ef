"""Atomic file writes: write a temporary sibling, then rename it over the target, so a killed
run leaves either the old file or the new one, never half of one. `replacing_dir` does the same
for a directory. The new data is fsynced before the rename and the directory after it, so a power
loss also leaves the old version or the new one. (Append-only journals and lock files are the deliberate exceptions: see
campaign/journal.py.)"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of `path` (same suffix, so writers that infer the format from it work)
    to write; renamed over `path` when the block succeeds, removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        _fsync(tmp)  # the data is on disk before the name points at it
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def replacing_dir(path: str | Path) -> Iterator[Path]:
    """A fresh temporary directory beside `path` to fill; when the block succeeds it replaces
    `path`. The old directory is moved aside, not deleted, until the new one is in place, and
    put back if that fails. The name is unique, so two writers never share a temporary."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp's 0700 would hide the result from the group
    old: Path | None = None
    try:
        yield tmp
        for folder, _, names in os.walk(tmp):
            for name in names:
                _fsync(Path(folder, name))
            _fsync(Path(folder))
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        if old is not None and not path.exists():
            os.replace(old / path.name, path)
        remove_tree(tmp)
        raise
    finally:
        if old is not None:
            remove_tree(old)


def _fsync(path: Path) -> None:
    """Flush a file's data, or a directory's entries, to the disk (a power loss keeps them)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_tree(root: Path) -> None:
    """rm -rf, read-only parts included (archives are made read-only)."""

    def writable_then_retry(func, p, _exc):
        os.chmod(os.path.dirname(p), os.stat(os.path.dirname(p)).st_mode | stat.S_IWUSR)
        func(p)

    if root.is_dir() and not root.is_symlink():
        shutil.rmtree(root, onerror=writable_then_retry)
    else:
        root.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_pattern(path: Path) -> re.Pattern[str]:
    """The names `replacing` and `replacing_dir` give temporaries of `path`, and no other."""
    stem, suffix, name = (re.escape(x) for x in (path.stem, path.suffix, path.name))
    return re.compile(rf"\.(?:{stem}\.tmp-\d+{suffix}|{name}\.(?:tmp|old)-[A-Za-z0-9_]+)")


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove what writers of `path` killed mid-write left behind (their temporary files and
    folders); returns them. Call it only where no other live process writes `path`: at the start
    of the one job that makes it (the working-directory lock keeps a second run out)."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = _temporary_pattern(path)
    ours = f".{path.stem}.tmp-{os.getpid()}{path.suffix}"
    stale = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name) and p.name != ours]
    for p in stale:
        remove_tree(p)
    return stale


def write_text(text: str, path: str | Path) -> Path:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: str | Path) -> Path:
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON values; anything else as its string."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def write_json(data: Any, path: str | Path, indent: int = 2) -> Path:
    return write_text(json.dumps(data, indent=indent, sort_keys=True, default=_plain) + "\n", path)
