"""RL settings: the config's `rl:` section (dpdktune/sections.py holds it with every other section)."""

from __future__ import annotations

from dpdktune.sections import ALGORITHMS, OFFLINE, ONLINE, Q_ALGORITHMS, RLSettings

__all__ = ["ALGORITHMS", "OFFLINE", "ONLINE", "Q_ALGORITHMS", "RLSettings", "resolve_device"]


def resolve_device(device: str) -> str:
    """d3rlpy's device string: `auto` is CUDA when present, else CPU."""
    import torch

    if device == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu:0"
    if device == "cpu":
        return "cpu:0"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"rl.device: {device!r} requested but CUDA is not available")
        return "cuda:0" if device == "cuda" else device
    raise ValueError(f"rl.device: {device!r}; expected auto, cpu, cuda or cuda:N")
