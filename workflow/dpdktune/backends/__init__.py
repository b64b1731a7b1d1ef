"""Experiment backends behind the one `Backend` protocol: sim, local and ssh."""

from __future__ import annotations

from typing import Any

from dpdktune.backends.base import Backend, RunFailed, RunResult, RunSpec

__all__ = ["Backend", "RunFailed", "RunResult", "RunSpec", "make_backend"]


def make_backend(config: dict[str, Any], testbed: str | None = None) -> Backend:
    """The backend named by `config["backend"]`, built from its own config section.

    `testbed` names the ssh testbed this batch holds (see campaign/testbeds.py)."""
    name = config["backend"]
    if name == "sim":
        from dpdktune.backends.sim import SimBackend

        return SimBackend(config.get("sim"))
    if name == "local":
        from dpdktune.backends.local import LocalBackend

        return LocalBackend(config.get("local"))
    if name == "ssh":
        from dpdktune.backends.ssh import SshBackend

        return SshBackend(config.get("ssh"), testbed=testbed)
    raise ValueError(f"backend: unknown backend {name!r}; expected sim, local or ssh")
