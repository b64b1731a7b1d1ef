"""Exclusive use of real testbeds: one experiment at a time on each, a pool in parallel.

Snakemake's `testbeds` resource caps how many batches run at once; this lock picks which
testbed a batch gets, and also holds across separate Snakemake invocations.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dpdktune.sections import section


def testbed_pool(config: dict[str, Any]) -> list[str]:
    """Names of the testbeds the config's backend runs on; the simulator needs none."""
    backend = config["backend"]
    if backend == "sim":
        return []
    if backend == "local":
        return ["local"]
    return [tb["name"] for tb in section(config, "ssh").testbeds]


@contextlib.contextmanager
def acquire_testbed(
    config: dict[str, Any], lock_dir: str | Path, poll_s: float = 0.5, timeout_s: float = 24 * 3600
) -> Iterator[str | None]:
    """Hold an exclusive lock on a free testbed of the pool (None for the simulator)."""
    pool = testbed_pool(config)
    if not pool:
        yield None
        return
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    while True:
        for name in pool:
            fh = open(lock_dir / f"testbed-{name}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            try:
                yield name
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free testbed among {pool} after {timeout_s} s")
        time.sleep(poll_s)
