"""(b) RSS: how flows spread over queues (Microsoft RSS spec; DPDK rte_eth_dev_rss_reta_update).

Each flow's Toeplitz hash indexes a redirection table of `rss_reta_size` entries filled
round-robin with the queues. Flow weights follow Zipf(s) over F flows. The hash values are
fixed per workload (its flows' 5-tuples), drawn from a generator seeded by the workload's
name, so the same flows land on the same queues across trials and configs. One elephant
flow therefore loads one queue however many cores run; few flows spread unevenly.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4096)
def _queue_shares(name: str, flows: int, zipf_s: float, reta_size: int, queues: int) -> tuple[float, ...]:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    hashes = rng.integers(0, 2**32, size=flows, dtype=np.uint64)
    weights = np.arange(1, flows + 1, dtype=float) ** -zipf_s
    queue = (hashes % np.uint64(reta_size)) % np.uint64(queues)
    shares = np.bincount(queue.astype(np.int64), weights=weights, minlength=queues)
    return tuple(shares / shares.sum())


def queue_shares(name: str, flows: int, zipf_s: float, reta_size: int, queues: int) -> np.ndarray:
    """Fraction of a port's packets that RSS sends to each of `queues` queues."""
    if flows < 1:
        raise ValueError(f"workloads.{name}.flows: must be >= 1, got {flows}")
    return np.array(_queue_shares(name, flows, zipf_s, reta_size, queues))
