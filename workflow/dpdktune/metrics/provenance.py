"""Provenance stamped into every Parquet file's key-value metadata."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dpdktune import __version__

_REPO_ROOT = Path(__file__).resolve().parents[3]


def git_commit() -> str:
    """The repo's HEAD commit, with "-dirty" when the work tree has changes; "unknown" outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPO_ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=_REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def config_hash(config: dict[str, Any]) -> str:
    """A short, stable hash of a config mapping (key order does not matter)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def provenance(
    *,
    config: dict[str, Any],
    backend: str,
    backend_version: str,
    hardware: str,
    seed: int,
    host: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The metadata every Parquet file carries: versions, config hash, seed, and what ran it.

    `hardware` is the simulator's profile on `sim`. On a real backend it is the probed host
    (`host`: CPU, cores, sockets, NIC, DPDK and kernel, from the backend's `host()`), and a
    host that was not probed is "unknown", never the profile the simulator would have used.
    """
    out = {
        "dpdktune_version": __version__,
        "git_commit": git_commit(),
        "config_hash": config_hash(config),
        "backend": backend,
        "backend_version": backend_version,
        "hardware": hardware,
        "seed": str(seed),
    }
    if backend == "sim":
        out["hardware_source"] = f"simulated: hardware profile {hardware} (config/hardware/{hardware}.yaml)"
        return out
    out.update({k: str(v) for k, v in (host or {}).items()})
    if not host or "hardware" not in host:
        out["hardware"] = f"unknown: the {backend} backend's host was not probed"
    out["hardware_source"] = f"probed on the {backend} backend's host (not a simulator profile)"
    return out


#: provenance keys that describe the one host a batch ran on (they differ between ssh testbeds)
_HOST_KEYS = ("hardware", "backend_version", "testbed", "dpdk_version", "dpdk_version_error")


def _host_part(prov: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in prov.items() if k in _HOST_KEYS or (k.startswith("host") and k != "hosts")}


def campaign_provenance(batches: Sequence[Mapping[str, str]], record_hardware: Sequence[str] = ()) -> dict[str, str]:
    """One provenance for a dataset merged from batches that may have run on several hosts (one per
    ssh testbed). On a real backend `hosts` is a JSON list of every distinct host's keys; with more
    than one host, `hardware` and `backend_version` name them all and no single host's keys stay at
    the top level, so the dataset never claims that one testbed ran it all. `record_hardware` (the
    records' own `hardware` values) adds a host whose batch file was later rewritten on another one."""
    out = dict(batches[0])
    if out.get("backend") == "sim":
        return out
    hosts: dict[tuple, dict[str, str]] = {}
    for prov in batches:
        part = _host_part(prov)
        key = (part.get("testbed"), part.get("host_address"), part.get("host"))
        if key not in hosts or ("host_cpu" in part and "host_cpu" not in hosts[key]):  # a probe that worked wins
            hosts[key] = part
    probed = {(h.get("testbed"), h.get("host_address")) for h in hosts.values() if "host_cpu" in h}
    found = [h for h in hosts.values() if "host_cpu" in h or (h.get("testbed"), h.get("host_address")) not in probed]
    listed = {h.get("hardware") for h in found}
    found += [{"hardware": line} for line in dict.fromkeys(record_hardware) if line not in listed]
    out["hosts"] = json.dumps(found, sort_keys=True)
    if len(found) > 1:
        for key in set().union(*found):
            out.pop(key, None)
        out["hardware"] = f"{len(found)} hosts: " + " | ".join(h.get("hardware", "unknown") for h in found)
        out["backend_version"] = "; ".join(dict.fromkeys(h["backend_version"] for h in found if "backend_version" in h))
    return out


def backend_metadata(backend: Any) -> dict[bytes, bytes]:
    """A batch's Parquet schema metadata: the backend's version and host, for `provenance`."""
    return {
        b"backend_version": backend.version().encode(),
        b"host": json.dumps(backend.host(), sort_keys=True).encode(),
    }


def metadata_host(meta: Mapping[bytes, bytes]) -> dict[str, str]:
    """The host that `backend_metadata` stored ({} for a batch written before it existed)."""
    return json.loads(meta.get(b"host", b"{}"))
