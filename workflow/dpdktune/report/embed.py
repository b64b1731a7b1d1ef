"""Figures as data: URIs, so report.html needs no other file."""

from __future__ import annotations

import base64
from pathlib import Path

_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


def embed_image(path: str | Path) -> str:
    path = Path(path)
    kind = _TYPES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: cannot embed a {path.suffix!r} figure; expected .png or .svg")
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"
