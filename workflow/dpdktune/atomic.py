"""Atomic file writes: write a temporary sibling, then rename it over the target, so a killed
run leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of `path` (same suffix, so writers that infer the format from it work)
    to write; renamed over `path` when the block succeeds, removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
